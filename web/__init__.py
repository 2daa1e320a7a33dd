"""The staff's web inbox: server-rendered pages over the monitor's services, in the API's app (api/app.py)."""
