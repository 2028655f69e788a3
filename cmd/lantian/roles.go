package main

import (
	"flag"
	"os"
	"time"

	"lantian/service"
)

// runFlags are the flags of `lantian run` that choose its part in a multi-instance
// deployment (docs/scaling.md).
type runFlags struct {
	role     string
	instance string
	leaseTTL time.Duration
}

func (r *runFlags) register(fs *flag.FlagSet) {
	role := os.Getenv("LANTIAN_ROLE")
	if role == "" {
		role = string(service.RoleAll)
	}
	fs.StringVar(&r.role, "role", role, "all (one process), ingest (intake and raw writes, several instances) or derive (derived figures, consoles, alerts; one active) (env LANTIAN_ROLE)")
	fs.StringVar(&r.instance, "instance-id", os.Getenv("LANTIAN_INSTANCE_ID"), "name of this instance on the derive lease (env LANTIAN_INSTANCE_ID; default host name and process id)")
	fs.DurationVar(&r.leaseTTL, "lease-ttl", service.DefaultLeaseTTL, "how long a derive standby waits for an active instance that stopped renewing its lease")
}

func (r *runFlags) options() (service.RunOptions, error) {
	role, err := service.ParseRole(r.role)
	if err != nil {
		return service.RunOptions{}, err
	}
	return service.RunOptions{Role: role, InstanceID: r.instance, LeaseTTL: r.leaseTTL}, nil
}
