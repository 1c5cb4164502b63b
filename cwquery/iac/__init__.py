"""Filter patterns inside infrastructure code: find them (:mod:`~cwquery.iac.scan` walks the
files; :mod:`~cwquery.iac.cloudformation`, :mod:`~cwquery.iac.terraform` and
:mod:`~cwquery.iac.documents` read the sites of each format, as :mod:`~cwquery.iac.sites`;
:mod:`~cwquery.iac.locate` and :mod:`~cwquery.iac.hcl` keep every value's place), check them
(:mod:`~cwquery.iac.lint` rules, :mod:`~cwquery.iac.findings` placed in the files) and report the
findings as text, JSON, GitHub annotations or SARIF (:mod:`~cwquery.iac.report`)."""
