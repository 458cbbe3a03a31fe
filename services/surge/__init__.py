"""The surge planner: requests and their workflow, matching experts to them, capacity forecast, service level."""
