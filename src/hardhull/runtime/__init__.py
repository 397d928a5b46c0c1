"""The ``watch`` job: kernel and other event sources, Falco-compatible rules, drift
detection, alerts and response.

Data flow: ``sensor/* -> Event -> enrich (container/image/pod) -> engine (RuleSet +
sequences + thresholds + drift) -> Alert -> outputs + response``.
"""
