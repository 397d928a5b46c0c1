"""Falco rule files: lexer, condition parser, macros/lists, compiler, loader, index."""
