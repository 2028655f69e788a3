package validate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// decoder decodes YAML strictly into the API types of the groups the manifests use.
func decoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
}

var docSplit = regexp.MustCompile(`(?m)^---\s*$`)

// load decodes every object of the kustomization's resources.
func load(t *testing.T, dec runtime.Decoder, dir string) []runtime.Object {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.Kind != "Kustomization" || len(k.Resources) == 0 {
		t.Fatalf("kustomization.yaml: kind %q with %d resources", k.Kind, len(k.Resources))
	}
	var objs []runtime.Object
	for _, f := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSplit.Split(string(b), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			// Duplicate keys are errors, as in the API server's strict validation.
			if _, err := yaml.YAMLToJSONStrict([]byte(doc)); err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			if errs := validation.IsDNS1123Subdomain(name(obj)); len(errs) > 0 {
				t.Errorf("%s: %s %q: %v", f, gvk.Kind, name(obj), errs)
			}
			objs = append(objs, obj)
		}
	}
	return objs
}

func stripComments(doc string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func name(o runtime.Object) string {
	if m, ok := o.(interface{ GetName() string }); ok {
		return m.GetName()
	}
	return ""
}

// workload is a Deployment's or StatefulSet's pod template with its selector.
type workload struct {
	kind, name string
	selector   labels.Selector
	template   corev1.PodTemplateSpec
	claims     []string
}

// TestManifestsDecodeStrictlyAndFitTogether is the check of deploy/k8s.
func TestManifestsDecodeStrictlyAndFitTogether(t *testing.T) {
	objs := load(t, decoder(t), "..")
	var (
		works    []workload
		services []*corev1.Service
		pdbs     []*policyv1.PodDisruptionBudget
		kinds    = map[string]bool{}
		names    = map[string]bool{}
	)
	for _, o := range objs {
		switch v := o.(type) {
		case *appsv1.Deployment:
			sel, err := selectorOf(v.Spec.Selector.MatchLabels)
			if err != nil {
				t.Error(err)
			}
			works = append(works, workload{kind: "Deployment", name: v.Name, selector: sel, template: v.Spec.Template})
		case *appsv1.StatefulSet:
			sel, err := selectorOf(v.Spec.Selector.MatchLabels)
			if err != nil {
				t.Error(err)
			}
			w := workload{kind: "StatefulSet", name: v.Name, selector: sel, template: v.Spec.Template}
			for _, c := range v.Spec.VolumeClaimTemplates {
				w.claims = append(w.claims, c.Name)
			}
			works = append(works, w)
			names["Service/"+v.Spec.ServiceName+"/headless"] = false
		case *corev1.Service:
			services = append(services, v)
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, v)
		}
		gvk := o.GetObjectKind().GroupVersionKind()
		kinds[gvk.Kind] = true
		names[gvk.Kind+"/"+name(o)] = true
	}
	for _, k := range []string{"Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "PodDisruptionBudget"} {
		if !kinds[k] {
			t.Errorf("no %s in the manifests", k)
		}
	}

	roles := map[string]bool{}
	for _, w := range works {
		if !w.selector.Matches(labels.Set(w.template.Labels)) {
			t.Errorf("%s %s: selector %s does not select its own pods %v", w.kind, w.name, w.selector, w.template.Labels)
		}
		vols := map[string]corev1.Volume{}
		for _, v := range w.template.Spec.Volumes {
			vols[v.Name] = v
			switch {
			case v.ConfigMap != nil && !names["ConfigMap/"+v.ConfigMap.Name]:
				t.Errorf("%s %s: volume %s names ConfigMap %s, not in the manifests", w.kind, w.name, v.Name, v.ConfigMap.Name)
			case v.Secret != nil && !names["Secret/"+v.Secret.SecretName]:
				t.Errorf("%s %s: volume %s names Secret %s, not in the manifests", w.kind, w.name, v.Name, v.Secret.SecretName)
			case v.PersistentVolumeClaim != nil && !names["PersistentVolumeClaim/"+v.PersistentVolumeClaim.ClaimName]:
				t.Errorf("%s %s: volume %s names claim %s, not in the manifests", w.kind, w.name, v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
		for _, c := range w.template.Spec.Containers {
			for _, m := range c.VolumeMounts {
				if _, ok := vols[m.Name]; !ok && !slices.Contains(w.claims, m.Name) {
					t.Errorf("%s %s: mount %s of no volume", w.kind, w.name, m.Name)
				}
			}
			ports := map[string]bool{}
			for _, p := range c.Ports {
				ports[p.Name] = true
			}
			for what, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				want := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[what]
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || !ports[p.HTTPGet.Port.String()] {
					t.Errorf("%s %s: %s probe must GET %s on a named container port, got %+v", w.kind, w.name, what, want, p)
				}
			}
			// The role and, for the ingest tier, a client id that is the pod's stable name.
			i := slices.Index(c.Args, "--role")
			if i < 0 || i+1 >= len(c.Args) {
				t.Errorf("%s %s: no --role in %v", w.kind, w.name, c.Args)
				continue
			}
			role := c.Args[i+1]
			roles[role] = true
			env := map[string]string{}
			for _, e := range c.Env {
				env[e.Name] = e.Value
			}
			if role == "ingest" && (w.kind != "StatefulSet" || env["LANTIAN_MQTT_CLIENT_ID"] != "$(POD_NAME)") {
				t.Errorf("%s %s: ingest pods need a StatefulSet and LANTIAN_MQTT_CLIENT_ID=$(POD_NAME) (a stable session per pod)", w.kind, w.name)
			}
			if role == "derive" && env["LANTIAN_MQTT_CLIENT_ID"] == "$(POD_NAME)" {
				t.Errorf("%s %s: the derive pods share one session; the client id must not be the pod name", w.kind, w.name)
			}
		}
	}
	if !roles["ingest"] || !roles["derive"] {
		t.Errorf("roles in the manifests: %v, want ingest and derive", roles)
	}
	for k, ok := range names {
		if strings.HasSuffix(k, "/headless") && !ok {
			svc := strings.TrimSuffix(strings.TrimPrefix(k, "Service/"), "/headless")
			if !slices.ContainsFunc(services, func(s *corev1.Service) bool { return s.Name == svc && s.Spec.ClusterIP == corev1.ClusterIPNone }) {
				t.Errorf("StatefulSet's serviceName %s is not a headless Service in the manifests", svc)
			}
		}
	}
	for _, s := range services {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		var picked []workload
		for _, w := range works {
			if sel.Matches(labels.Set(w.template.Labels)) {
				picked = append(picked, w)
			}
		}
		if len(picked) == 0 {
			t.Errorf("Service %s selects no pods", s.Name)
		}
		for _, p := range s.Spec.Ports {
			for _, w := range picked {
				if !slices.ContainsFunc(w.template.Spec.Containers, func(c corev1.Container) bool {
					return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
						return cp.Name == p.TargetPort.String() || fmt.Sprint(cp.ContainerPort) == p.TargetPort.String()
					})
				}) {
					t.Errorf("Service %s: target port %s is not a port of %s %s", s.Name, p.TargetPort.String(), w.kind, w.name)
				}
			}
		}
	}
	for _, p := range pdbs {
		sel, err := selectorOf(p.Spec.Selector.MatchLabels)
		if err != nil {
			t.Error(err)
		}
		if !slices.ContainsFunc(works, func(w workload) bool { return sel.Matches(labels.Set(w.template.Labels)) }) {
			t.Errorf("PodDisruptionBudget %s selects no pods", p.Name)
		}
	}
}

func selectorOf(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// TestStrictDecodingCatchesMistakes shows the check is not a formality: a misspelt field, a
// field of the wrong type and a duplicate key are each refused.
func TestStrictDecodingCatchesMistakes(t *testing.T) {
	dec := decoder(t)
	base, err := os.ReadFile(filepath.Join("..", "ingest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	first := docSplit.Split(string(base), -1)[0]
	for what, mutate := range map[string]func(string) string{
		"misspelt field": func(s string) string { return strings.Replace(s, "readinessProbe:", "readynessProbe:", 1) },
		"wrong type":     func(s string) string { return strings.Replace(s, "replicas: 3", "replicas: three", 1) },
		"duplicate key": func(s string) string {
			return strings.Replace(s, "  replicas: 3\n", "  replicas: 3\n  replicas: 2\n", 1)
		},
		"unknown sub-key": func(s string) string {
			return strings.Replace(s, "periodSeconds: 10", "periodSeconds: 10\n            perodSeconds: 5", 1)
		},
	} {
		doc := mutate(first)
		if doc == first {
			t.Fatalf("%s: the mutation did not apply", what)
		}
		_, errJSON := yaml.YAMLToJSONStrict([]byte(doc))
		_, _, errDec := dec.Decode([]byte(doc), nil, nil)
		if errJSON == nil && errDec == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if _, _, err := dec.Decode(bytes.TrimSpace([]byte(first)), nil, nil); err != nil {
		t.Fatalf("the unmodified StatefulSet: %v", err)
	}
}
