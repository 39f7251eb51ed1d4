"""Draw: DOT text (escaped, deterministic), the Graphviz call, gate diagrams, drill-ins, the HTML report.

Imports the view and the record only; never torch. jinja2 is imported only by `render.html`.
"""
