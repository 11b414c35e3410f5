// Command refbatch loads Microsoft Partner Center referrals from spreadsheets.
package main

import (
	"context"
	"os"
)

func main() {
	ctx, in, stop := withInterrupts(context.Background(), os.Stderr)
	code := runWith(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, interrupts: in})
	stop()
	os.Exit(code)
}
