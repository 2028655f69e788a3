package dashboards

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/registry"
)

// fakeGrafana answers the few Grafana API calls Push makes, the way Grafana 11 does, and
// records them. No Grafana server can run here; this is the one mock the project allows.
type fakeGrafana struct {
	mu          sync.Mutex
	calls       []string
	folders     map[string]int
	datasources map[string]map[string]any // by name
	boards      map[string]map[string]any // by uid: the request body
	failBoards  bool
}

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer secret-token" {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
			return
		}
	}
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/folders/"):
		uid := strings.TrimPrefix(r.URL.Path, "/api/folders/")
		if id, ok := g.folders[uid]; ok {
			reply(200, map[string]any{"id": id, "uid": uid, "title": FolderTitle})
			return
		}
		reply(404, map[string]any{"message": "folder not found"})
	case r.Method == http.MethodPost && r.URL.Path == "/api/folders":
		id := 40 + len(g.folders)
		g.folders[in["uid"].(string)] = id
		reply(200, map[string]any{"id": id, "uid": in["uid"], "title": in["title"]})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/datasources/name/"):
		name := strings.TrimPrefix(r.URL.Path, "/api/datasources/name/")
		if ds, ok := g.datasources[name]; ok {
			reply(200, ds)
			return
		}
		reply(404, map[string]any{"message": "Data source not found"})
	case r.Method == http.MethodPost && r.URL.Path == "/api/datasources":
		in["id"] = float64(10 + len(g.datasources))
		g.datasources[in["name"].(string)] = in
		reply(200, map[string]any{"id": in["id"], "message": "Datasource added", "name": in["name"]})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/datasources/"):
		g.datasources[in["name"].(string)] = in
		reply(200, map[string]any{"id": in["id"], "message": "Datasource updated", "name": in["name"]})
	case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
		if g.failBoards {
			reply(412, map[string]any{"message": "version-mismatch", "status": "version-mismatch"})
			return
		}
		d := in["dashboard"].(map[string]any)
		g.boards[d["uid"].(string)] = in
		reply(200, map[string]any{"id": 1, "uid": d["uid"], "status": "success", "version": 1, "slug": "x", "url": "/d/x"})
	default:
		reply(404, map[string]any{"message": "not found: " + r.URL.Path})
	}
}

func newFakeGrafana() *fakeGrafana {
	return &fakeGrafana{folders: map[string]int{}, datasources: map[string]map[string]any{}, boards: map[string]map[string]any{}}
}

func TestPush(t *testing.T) {
	g := newFakeGrafana()
	srv := httptest.NewServer(g)
	defer srv.Close()
	client, err := sdk.NewClient(srv.URL, "secret-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	settings := DatasourceSettings{InfluxURL: "http://influxdb:8086", InfluxOrg: "lantian", InfluxBucket: "lantian",
		InfluxToken: "influx-token", PrometheusURL: "http://prometheus:9090"}
	boards := Boards(registry.DefaultAreas(), registry.DefaultTargets())
	ctx := context.Background()
	if err := Push(ctx, client, Datasources(settings), boards); err != nil {
		t.Fatalf("first push: %v", err)
	}
	// Pushing again updates in place: same folder, datasources updated by id.
	if err := Push(ctx, client, Datasources(settings), boards); err != nil {
		t.Fatalf("second push: %v", err)
	}
	if len(g.folders) != 1 || g.folders[FolderUID] == 0 {
		t.Errorf("folders %v, want one %q", g.folders, FolderUID)
	}
	influx := g.datasources["Lantian InfluxDB"]
	if influx == nil || influx["uid"] != InfluxUID || influx["type"] != "influxdb" {
		t.Fatalf("influx datasource %v", influx)
	}
	jd := influx["jsonData"].(map[string]any)
	if jd["version"] != "Flux" || jd["organization"] != "lantian" || jd["defaultBucket"] != "lantian" {
		t.Errorf("influx jsonData %v", jd)
	}
	if influx["secureJsonData"].(map[string]any)["token"] != "influx-token" {
		t.Errorf("influx token not sent in secureJsonData")
	}
	if p := g.datasources["Lantian Prometheus"]; p == nil || p["uid"] != PromUID || p["url"] != "http://prometheus:9090" {
		t.Errorf("prometheus datasource %v", p)
	}
	var puts int
	for _, c := range g.calls {
		if strings.HasPrefix(c, "PUT /api/datasources/") {
			puts++
		}
	}
	if puts != 2 {
		t.Errorf("second push made %d datasource updates, want 2 (calls %v)", puts, g.calls)
	}
	for _, b := range boards {
		req := g.boards[b.UID]
		if req == nil {
			t.Errorf("board %s not saved", b.UID)
			continue
		}
		if req["FolderID"] != float64(g.folders[FolderUID]) || req["Overwrite"] != true {
			t.Errorf("board %s saved with folder %v overwrite %v", b.UID, req["FolderID"], req["Overwrite"])
		}
		want, err := JSON(b)
		if err != nil {
			t.Fatal(err)
		}
		var wantMap map[string]any
		if err := json.Unmarshal(want, &wantMap); err != nil {
			t.Fatal(err)
		}
		// The SDK sends id 0 so that Grafana matches the board by uid.
		wantMap["id"] = 0
		got, _ := json.Marshal(req["dashboard"])
		exp, _ := json.Marshal(wantMap)
		if string(got) != string(exp) {
			t.Errorf("board %s: Grafana received a different dashboard than the export", b.UID)
		}
	}
}

func TestPushReportsGrafanaErrors(t *testing.T) {
	g := newFakeGrafana()
	g.failBoards = true
	srv := httptest.NewServer(g)
	defer srv.Close()
	client, err := sdk.NewClient(srv.URL, "secret-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	boards := Boards(registry.DefaultAreas(), registry.DefaultTargets())
	err = Push(context.Background(), client, Datasources(DatasourceSettings{}), boards)
	if err == nil || !strings.Contains(err.Error(), "lantian-operators") {
		t.Errorf("a refused board must fail the push naming it, got %v", err)
	}
	bad, err := sdk.NewClient(srv.URL, "wrong", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := Push(context.Background(), bad, Datasources(DatasourceSettings{}), boards); err == nil {
		t.Errorf("a refused token must fail the push")
	}
}
