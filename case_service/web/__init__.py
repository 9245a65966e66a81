"""Server-rendered staff pages: the clerk's desk, work lists, the supervision view."""
