"""gem5.resources.client_api."""
