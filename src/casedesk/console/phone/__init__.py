"""The phone screen (H1, C3): live calls (emergencies first), the caller found by support PIN
with their organisation, maintenance and open cases, and one-step actions — log the call on
a case or open a case for it. Imports the ``phone`` domain and the page kit only."""
