// The differ: (desired, actual) -> ops. TODO(#3).
