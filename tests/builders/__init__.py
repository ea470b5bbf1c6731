"""Plain builders shared by the tests: hand-made counties, hypothesis strategies, scenario-folder edits
and the test service.

`rota` and `caseload` build small counties and strategies for their job, `folders` the tiny county and
the edits that damage a scenario folder, `service` the API app on a test database with a user of each
role. They live here, not in a conftest.py, because pytest discourages importing from conftest files,
and hypothesis strategies and `parametrize` arguments cannot take pytest fixtures: they need plain
functions and constants. Fixtures stay in the conftest.py files, which import from here.
"""
