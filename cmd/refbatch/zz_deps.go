package main

// Temporary: pins dependencies the run adds until their users land.
import (
	_ "github.com/schollz/progressbar/v3"
	_ "golang.org/x/term"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
