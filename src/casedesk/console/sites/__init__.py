"""Staff screens about customer sites: upcoming cutovers by region and date (G1), sites with
their VoIP readiness and change records (G2, G3, ``pages``), the VoIP hold of a case
(``hold``), and the site panels on a case page. Imports the ``obligations`` domain and the
page kit only."""
