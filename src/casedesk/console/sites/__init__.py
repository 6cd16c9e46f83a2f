"""Staff screens about customer sites (G1): upcoming cutovers by region and date, and the
cutover panel on a case page. Imports the ``obligations`` domain and the page kit only."""
