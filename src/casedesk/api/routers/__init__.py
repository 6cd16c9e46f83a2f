"""One django-ninja router per resource; each handler parses, calls a service or selector."""
