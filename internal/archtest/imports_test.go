package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// TestRepositoryFollowsImportRules is the rule check itself, run on this repository.
func TestRepositoryFollowsImportRules(t *testing.T) {
	vs, err := Check(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}

// writeTree lays out a small module: files maps a relative path to the imports of that file.
func writeTree(t *testing.T, files map[string][]string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.org/lt\n\ngo 1.25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for rel, imports := range files {
		var b strings.Builder
		b.WriteString("package " + filepath.Base(filepath.Dir(rel)) + "\n\nimport (\n")
		for _, imp := range imports {
			b.WriteString("\t_ \"" + imp + "\"\n")
		}
		b.WriteString(")\n")
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestRulesCatchViolations proves each rule fails on a deliberate violation and passes the
// allowed shapes beside it.
func TestRulesCatchViolations(t *testing.T) {
	const m = "example.org/lt/"
	allowed := map[string][]string{
		"ingest/pipeline/p.go":      {m + "ingest/reading", m + "ingest/influx"},
		"alert/stream/s.go":         {m + "alert/aqi", m + "alert/assess", m + "ingest/reading", m + "ingest/schema"},
		"alert/office/o.go":         {m + "alert/aqi", m + "alert/warning", m + "ingest/registry"},
		"dashboards/d.go":           {m + "ingest/registry", m + "ingest/schema"},
		"service/app.go":            {m + "alert/stream", m + "alert/office", m + "alert/source", m + "ingest/influx"},
		"cmd/lantian/demo.go":       {m + "service", m + "internal/devenv/broker"},
		"ingest/sim/sim_test.go":    {m + "internal/devenv/testenv"},
		"service/app_test.go":       {m + "internal/devenv/testenv"},
		"internal/devenv/tenv/t.go": {m + "internal/devenv/proc"},
	}
	if vs, err := Check(writeTree(t, allowed)); err != nil || len(vs) != 0 {
		t.Fatalf("allowed tree: err %v, violations %v", err, vs)
	}
	cases := []struct {
		name, file string
		imports    []string
		wantImport string
	}{
		{"ingest imports alert", "ingest/pipeline/x.go", []string{m + "alert/stream"}, "alert/stream"},
		{"ingest imports service", "ingest/mqtt/x.go", []string{m + "service/config"}, "service/config"},
		{"ingest test imports alert", "ingest/pipeline/x_test.go", []string{m + "alert/office"}, "alert/office"},
		{"alert imports ingest machinery", "alert/stream/x.go", []string{m + "ingest/influx"}, "ingest/influx"},
		{"alert imports service", "alert/source/x.go", []string{m + "service"}, "service"},
		{"dashboards import alert", "dashboards/x.go", []string{m + "alert/stream"}, "alert/stream"},
		{"production imports devenv", "ingest/influx/x.go", []string{m + "internal/devenv/testenv"}, "internal/devenv/testenv"},
		{"service imports devenv", "service/x.go", []string{m + "internal/devenv/broker"}, "internal/devenv/broker"},
		{"alert package assembles alert packages", "alert/office/x.go", []string{m + "alert/source"}, "alert/source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]string{}
			for k, v := range allowed {
				files[k] = v
			}
			files[c.file] = c.imports
			vs, err := Check(writeTree(t, files))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, v := range vs {
				if v.Import == c.wantImport {
					found = true
				}
			}
			if !found {
				t.Fatalf("no violation for %s importing %s; got %v", c.file, c.wantImport, vs)
			}
		})
	}
}
