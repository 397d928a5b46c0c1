"""``hardhull admission manifests``: the objects that install the webhook in a cluster."""

from __future__ import annotations

import click


@click.command("manifests")
@click.option("--namespace", "-n", default="hardhull-system", show_default=True)
@click.option(
    "--cert-manager",
    is_flag=True,
    help="Let cert-manager issue the serving certificate and inject the CA bundle.",
)
@click.option("--mutating", is_flag=True, help="Also register the /mutate webhook.")
@click.option("--image", default=None, help="Container image of hardhull to run.")
def admission_manifests(
    namespace: str, cert_manager: bool, mutating: bool, image: str | None
) -> None:
    """Print Namespace, TLS Secret (or cert-manager Certificate), ConfigMap, Deployment,
    Service and the ValidatingWebhookConfiguration as YAML.

    \b
    Examples:
      hardhull admission manifests | kubectl apply -f -
      hardhull admission manifests -n security --cert-manager --mutating
    """
    from hardhull.admission.manifests import IMAGE, build_manifests, render

    docs = build_manifests(
        namespace, cert_manager=cert_manager, mutating=mutating, image=image or IMAGE
    )
    click.echo(render(docs), nl=False)
