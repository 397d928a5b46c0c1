"""Admission control: AdmissionReview handling, the webhook server and its manifests."""
