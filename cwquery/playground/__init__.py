"""A local web page for writing patterns: live errors, matches over sample logs, explanations
and metric values. ``cwquery playground`` serves it; :mod:`~cwquery.playground.api` holds the
answers and :mod:`~cwquery.playground.server` the Flask application around them."""
