// Package archtest holds the import rules that keep Lantian's packages readable one at a time
// (docs/architecture.md): the direction cmd → service → {alert/*, dashboards} → ingest
// contracts, and dev tooling kept out of production code. The rules are checked by `make test`
// over the source tree, so a violation fails the build instead of waiting for a review.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Contracts are the ingest/ packages that alert/ and dashboards/ may import: the shared domain
// types, the registry and the InfluxDB schema. Everything else of ingest/ is machinery that the
// service hands to the derived figures behind their own interfaces.
var Contracts = []string{"ingest/reading", "ingest/registry", "ingest/schema"}

// sharedCore is the one alert/ package every derived figure computes with: the AQI and HJ 663
// rules of the standards. Importing it does not make a package an assembler of alert/ parts,
// so it is not counted by the one-alert-package rule.
const sharedCore = "alert/aqi"

// Violation is one import that breaks a rule.
type Violation struct {
	File   string // path relative to the module root
	Pkg    string // importing package, relative to the module root
	Import string // imported package, relative to the module root
	Rule   string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s imports %s: %s", v.File, v.Pkg, v.Import, v.Rule)
}

type pkgImports struct {
	// imports of the package's non-test files, relative to the module root, with one file
	// that imports each.
	prod map[string]string
	// imports of its _test.go files.
	test map[string]string
}

// Check walks the module at root (the folder of go.mod) and returns every violation, sorted.
func Check(root string) ([]Violation, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	pkgs, err := collect(root, module)
	if err != nil {
		return nil, err
	}
	var out []Violation
	for pkg, im := range pkgs {
		out = append(out, checkPackage(pkg, im)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Import < out[j].Import
	})
	return out, nil
}

func checkPackage(pkg string, im pkgImports) []Violation {
	var out []Violation
	add := func(file, imp, rule string) {
		out = append(out, Violation{File: file, Pkg: pkg, Import: imp, Rule: rule})
	}
	for imp, file := range im.prod {
		switch {
		case under(pkg, "ingest") && (under(imp, "alert") || under(imp, "service") || under(imp, "dashboards") || under(imp, "cmd")):
			add(file, imp, "ingest/ is the contract and the machinery below every figure; it never imports alert/, service/, dashboards/ or cmd/")
		case (under(pkg, "alert") || under(pkg, "dashboards")) && under(imp, "ingest") && !isContract(imp):
			add(file, imp, "alert/ and dashboards/ import of ingest/ only the contracts "+strings.Join(Contracts, ", ")+"; ask for storage, MQTT or Alertmanager through an interface of your own that service/ implements")
		case (under(pkg, "alert") || under(pkg, "dashboards") || under(pkg, "ingest")) && (under(imp, "service") || under(imp, "cmd")):
			add(file, imp, "only cmd/ imports service/")
		case under(pkg, "dashboards") && under(imp, "alert"):
			add(file, imp, "dashboards/ read the schema, not the code that computes the figures")
		case !under(pkg, "cmd") && !under(pkg, "internal") && under(imp, "internal/devenv"):
			add(file, imp, "production code never imports the dev and test tooling of internal/devenv")
		}
	}
	for imp, file := range im.test {
		if under(pkg, "ingest") && (under(imp, "alert") || under(imp, "service")) {
			add(file, imp, "tests of ingest/ stay below alert/ and service/ too; end-to-end tests belong to service/")
		}
	}
	if !under(pkg, "service") && !under(pkg, "cmd") {
		var alerts []string
		for imp := range im.prod {
			if under(imp, "alert") && imp != sharedCore && imp != pkg {
				alerts = append(alerts, imp)
			}
		}
		if len(alerts) > 1 {
			sort.Strings(alerts)
			for _, imp := range alerts {
				add(im.prod[imp], imp, "only the composition root (service/) and cmd/ assemble several alert/ packages; this one imports "+strings.Join(alerts, ", ")+" (alert/aqi is not counted)")
			}
		}
	}
	return out
}

// under reports whether pkg is dir or a package below it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func isContract(pkg string) bool {
	for _, c := range Contracts {
		if pkg == c {
			return true
		}
	}
	return false
}

func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod in %s has no module line", root)
}

// collect parses the import clauses of every Go file of the module, skipping testdata, hidden
// folders and the build tools folder.
func collect(root, module string) (map[string]pkgImports, error) {
	pkgs := map[string]pkgImports{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools" || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parse %s: %w", rel, err)
		}
		pkg := path.Dir(rel)
		im, ok := pkgs[pkg]
		if !ok {
			im = pkgImports{prod: map[string]string{}, test: map[string]string{}}
			pkgs[pkg] = im
		}
		dst := im.prod
		if strings.HasSuffix(rel, "_test.go") {
			dst = im.test
		}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: import %s: %w", rel, spec.Path.Value, err)
			}
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			imp = strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if _, seen := dst[imp]; !seen {
				dst[imp] = rel
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return pkgs, nil
}
