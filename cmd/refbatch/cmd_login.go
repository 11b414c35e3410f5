package main

import (
	"context"
	"fmt"
	"time"

	"github.com/refbatch/refbatch/credentials"
)

// runLoginCmd signs a person in with the device-code flow and keeps the
// refresh token in the token store.
func runLoginCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("login", "login --tenant T --client-id C [--authority URL] [--oauth-version v1|v2]", e)
	cfg, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 0 {
		return usageError("login takes no arguments")
	}
	a, named, err := cfg.Authority()
	if err != nil {
		return err
	}
	if !named {
		return usageError("login needs --tenant and --client-id (or tenant: and client_id: in refbatch.yaml)")
	}
	store, err := credentials.DefaultStore()
	if err != nil {
		return err
	}
	return runLogin(ctx, a, store, e)
}

func runLogin(ctx context.Context, a credentials.Authority, store *credentials.Store, e env) error {
	tok, err := credentials.DeviceLogin(ctx, a, credentials.DeviceLoginOptions{
		Prompt: func(dc credentials.DeviceCode) error {
			fmt.Fprintf(e.stdout, "To sign in to tenant %s, open %s and enter the code %s\n", a.Tenant, dc.VerificationURI, dc.UserCode)
			if dc.ExpiresIn > 0 {
				fmt.Fprintf(e.stdout, "(the code is valid for %s; waiting…)\n", dc.ExpiresIn.Round(time.Second))
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	if err := store.Save(credentials.Login{Authority: a.URL, Tenant: a.Tenant, ClientID: a.ClientID, Version: a.Version,
		RefreshToken: credentials.Secret(tok.RefreshToken)}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Signed in. The refresh token is kept in %s (readable only by you); refbatch logout removes it.\n", store.Path())
	return nil
}

// runLogoutCmd removes the saved login.
func runLogoutCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("logout", "logout", e)
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 0 {
		return usageError("logout takes no arguments")
	}
	store, err := credentials.DefaultStore()
	if err != nil {
		return err
	}
	removed, err := store.Remove()
	if err != nil {
		return err
	}
	if !removed {
		fmt.Fprintf(e.stdout, "Not signed in (no %s).\n", store.Path())
		return nil
	}
	fmt.Fprintf(e.stdout, "Removed %s. The refresh token may stay valid at Azure AD until it expires; to cut it off now, revoke your sessions (Microsoft Entra admin center, or Revoke-MgUserSignInSession).\n", store.Path())
	return nil
}
