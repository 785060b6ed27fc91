// placeholder (tests only)
