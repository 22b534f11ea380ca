"""Publishers: transport an already rendered report to GitHub, GitLab or local files.

A publisher never computes a metric and never renders Markdown; it receives a :class:`Publication`.
"""
