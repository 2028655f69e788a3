package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"lantian/ingest/conf"
	"lantian/service"
	"lantian/service/config"
)

// defaultConfigPath is used when --config is not given and the file exists, so that
// `lantian run` in a checkout picks up the sample registry.
const defaultConfigPath = "deploy/lantian.yaml"

// loadConfig parses the common flags (and those extra registers) and returns the resolved
// configuration and where it came from (the file, or the built-in defaults).
func loadConfig(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (config.Config, string, string, error) {
	fs := flag.NewFlagSet("lantian "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, add := range extra {
		add(fs)
	}
	path := fs.String("config", "", "config file (env LANTIAN_CONFIG; default "+defaultConfigPath+" when present, else built-in defaults)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	overrides := config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, "", "", errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lantian %s: unexpected arguments %q\n", name, fs.Args())
		return config.Config{}, "", "", errUsage
	}
	file := *path
	if file == "" {
		file = os.Getenv("LANTIAN_CONFIG")
	}
	if file == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			file = defaultConfigPath
		}
	}
	cfg := config.Default()
	if file != "" {
		var err error
		if cfg, err = config.Load(file); err != nil {
			return cfg, "", "", err
		}
	}
	src := configSource(file)
	if err := overrides.Apply(&cfg); err != nil {
		return cfg, "", "", err
	}
	if err := cfg.Resolve(); err != nil {
		return cfg, "", "", fmt.Errorf("invalid configuration (%s):\n%w", src, err)
	}
	return cfg, src, *logLevel, nil
}

func runCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	var rf runFlags
	cfg, src, level, err := loadConfig("run", args, stderr, rf.register)
	if err != nil {
		return err
	}
	opts, err := rf.options()
	if err != nil {
		fmt.Fprintf(stderr, "lantian run: %v\n", err)
		return errUsage
	}
	log, err := newLogger(stderr, level)
	if err != nil {
		return err
	}
	applyMemoryLimit(log)
	log.Info("configuration loaded", "source", src)
	return service.RunRole(ctx, cfg, opts, log)
}

func configCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: lantian config check [--config FILE] [flags]")
		return errUsage
	}
	cfg, src, _, err := loadConfig("config check", args[1:], stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config source: %s\n", src)
	outlets, emergency := 0, 0
	for _, s := range cfg.Sources {
		outlets += len(s.Outlets)
		if s.EmergencyList {
			emergency++
		}
	}
	fmt.Fprintf(stdout, "config OK: %d areas, %d stations, %d sources (%d outlets, %d on the emergency list), %d targets\n",
		len(cfg.Areas), len(cfg.Stations), len(cfg.Sources), outlets, emergency, len(cfg.Targets))
	fmt.Fprintf(stdout, "mqtt %s (client id %s, prefix %s), influx %s bucket %s, http %s, data dir %s\n",
		conf.RedactURL(cfg.MQTT.URL), cfg.MQTT.ClientID, cfg.MQTT.TopicPrefix, conf.RedactURL(cfg.Influx.URL), cfg.Influx.Bucket, cfg.HTTP.Addr, cfg.DataDir)
	fmt.Fprint(stdout, config.FormatAssessment(cfg.AssessmentByArea()))
	printCredentialCheck(stdout, &cfg)
	return printSourcesCheck(stdout, cfg)
}
