"""The background processes the lab starts and stops. `supervisor.py` is the one way to do it for all of them
(start in a session of its own, wait until healthy, record the pid under `.lab/`, check a recorded pid is
still ours, stop TERM → wait → KILL); `dashboard_server.py` is the Streamlit dashboard `lab up` serves. The
endpoint's own process (its record, its health probe, its errors) is `lab/endpoint/background.py`."""
