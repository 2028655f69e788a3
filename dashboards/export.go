package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana-tools/sdk"
)

// JSON is a board as Grafana's file provisioning and the committed
// deploy/grafana/dashboards/*.json hold it: indented, with a final newline.
func JSON(b *sdk.Board) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("encode board %s: %w", b.UID, err)
	}
	return buf.Bytes(), nil
}

// FileName is the file a board is exported to.
func FileName(b *sdk.Board) string { return b.UID + ".json" }

// Export writes each board to dir as FileName(board), creating dir.
func Export(dir string, boards []*sdk.Board) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, b := range boards {
		data, err := JSON(b)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, FileName(b))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// DatasourceSettings are what Grafana needs to reach InfluxDB and Prometheus. The defaults
// are docker-compose's service names.
type DatasourceSettings struct {
	InfluxURL    string
	InfluxOrg    string
	InfluxBucket string
	// InfluxToken is a 2.x API token (1.8: "user:password").
	InfluxToken   string
	PrometheusURL string
}

// Datasources are the two datasources the boards reference, with the uids the panels use.
// They mirror deploy/grafana/provisioning/datasources/lantian.yml.
func Datasources(s DatasourceSettings) []sdk.Datasource {
	return []sdk.Datasource{
		{
			UID: InfluxUID, Name: "Lantian InfluxDB", Type: "influxdb", Access: "proxy", URL: s.InfluxURL,
			JSONData: map[string]any{"version": "Flux", "organization": s.InfluxOrg, "defaultBucket": s.InfluxBucket,
				"httpMode": "POST", "timeInterval": "1m"},
			SecureJSONData: map[string]any{"token": s.InfluxToken},
		},
		{
			UID: PromUID, Name: "Lantian Prometheus", Type: "prometheus", Access: "proxy", URL: s.PrometheusURL,
			IsDefault: true,
			JSONData:  map[string]any{"httpMethod": "POST", "timeInterval": "15s"},
		},
	}
}

// Push creates or updates the folder, the datasources and the boards in a Grafana through
// the SDK's REST client. It is idempotent: boards are saved with overwrite, datasources are
// updated when one of the same name exists.
func Push(ctx context.Context, c *sdk.Client, datasources []sdk.Datasource, boards []*sdk.Board) error {
	folder, err := c.GetFolderByUID(ctx, FolderUID)
	if err != nil {
		created, createErr := c.CreateFolder(ctx, sdk.Folder{UID: FolderUID, Title: FolderTitle})
		if createErr != nil {
			return fmt.Errorf("folder %s: %w", FolderUID, errors.Join(err, createErr))
		}
		folder = created
	}
	for _, ds := range datasources {
		if err := pushDatasource(ctx, c, ds); err != nil {
			return err
		}
	}
	for _, b := range boards {
		raw, err := JSON(b)
		if err != nil {
			return err
		}
		// The SDK only knows the numeric folder id; Grafana 11 still accepts it.
		msg, err := c.SetRawDashboardWithParam(ctx, sdk.RawBoardRequest{Dashboard: raw,
			Parameters: sdk.SetDashboardParams{FolderID: folder.ID, Overwrite: true}})
		if err != nil {
			return fmt.Errorf("save board %s: %w", b.UID, err)
		}
		if msg.Status != nil && *msg.Status != "success" {
			return fmt.Errorf("save board %s: status %s", b.UID, *msg.Status)
		}
	}
	return nil
}

func pushDatasource(ctx context.Context, c *sdk.Client, ds sdk.Datasource) error {
	existing, err := c.GetDatasourceByName(ctx, ds.Name)
	var msg sdk.StatusMessage
	if err == nil {
		ds.ID = existing.ID
		msg, err = c.UpdateDatasource(ctx, ds)
	} else {
		msg, err = c.CreateDatasource(ctx, ds)
	}
	if err != nil {
		return fmt.Errorf("datasource %s: %w", ds.Name, err)
	}
	// The SDK does not look at the status code of these calls; Grafana's answer carries an id
	// only on success.
	if msg.ID == nil {
		text := "no id in Grafana's answer"
		if msg.Message != nil {
			text = *msg.Message
		}
		return fmt.Errorf("datasource %s: %s", ds.Name, text)
	}
	return nil
}
