"""Running the suite as several app processes behind nginx: the site, the supervisor, the replica."""
