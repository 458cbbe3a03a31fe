"""Funding records kept by finance staff: donors, grants, allocations, expenditures, exchange rates."""
