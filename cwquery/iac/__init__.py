"""Filter patterns inside infrastructure code: find them (:mod:`~cwquery.iac.scan`,
:mod:`~cwquery.iac.locate`, :mod:`~cwquery.iac.hcl`), check them (:mod:`~cwquery.iac.lint`)
and report the findings as text, JSON, GitHub annotations or SARIF
(:mod:`~cwquery.iac.report`)."""
