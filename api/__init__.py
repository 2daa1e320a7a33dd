"""REST/JSON API: a thin HTTP layer over monitor/ services."""
