"""Use cases. Every public function is one unit of work (one transaction), authorizes its Actor,
validates what needs the database, and raises the typed errors of labelhub.errors."""
