// hsa-cnpg-admission: CloudNativePG's own code, run on what the toolkit synthesizes and prescribes.
//
// Built by conformance/cloudnative-pg.ts inside a scratch copy of the CloudNativePG module at the
// operator version the toolkit pins (the operator's webhook package is internal to that module, so
// this file is placed at cmd/hsa-cnpg-admission there; nothing of CloudNativePG is kept in the project).
//
//	admit  (stdin: {"operations":[{"name","old"?,"object"}]}) -> {"results":[{"name","errors","warnings"}]}
//	       The mutating webhook's defaults, then the validating webhook: ValidateCreate without "old",
//	       ValidateUpdate with it (the old object as the API server holds it: defaulted, with a
//	       resourceVersion).
//	token  (stdin: pg_controldata output of the demoted primary) -> the demotion token CloudNativePG
//	       publishes in the Cluster's status.
//	verify <token> (stdin: pg_controldata output of the replica, after a CHECKPOINT) -> exit 0 when
//	       CloudNativePG's instance manager would promote it with that token, else the reason, exit 3.
//	defaults (stdin: a Cluster) -> the Cluster after the mutating webhook, with the operator configured
//	       as its chart configures it: the PostgreSQL parameters CloudNativePG sets and the default
//	       monitoring queries it adds.
//	metrics --cluster <file> --pgdata <dir> --pod <name> -> serves the instance manager's metrics
//	       exporter on :9187 for the PostgreSQL whose data directory is <dir> (reached at $PGHOST,
//	       $PGPORT), with the operator's default queries of this version, as a pod of that Cluster does,
//	       and the instance manager's local cache of the Cluster (localhost:8010), with the pod as its
//	       current primary as the operator reports it; until killed. On a primary it first sets up the
//	       exporter's role, as the instance manager does.
//	wal-archive --pod-name <name> --pg-data <dir> <wal> -> CloudNativePG's archive_command for the
//	       Cluster in the local cache (the `metrics` process beside it); exit 0 when archived.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/cloudnative-pg/machinery/pkg/log"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	"github.com/cloudnative-pg/cloudnative-pg/internal/cnpi/plugin/repository"
	"github.com/cloudnative-pg/cloudnative-pg/internal/configuration"
	webhookv1 "github.com/cloudnative-pg/cloudnative-pg/internal/webhook/v1"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/management/postgres"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/management/postgres/archiver"
	pgmetrics "github.com/cloudnative-pg/cloudnative-pg/pkg/management/postgres/metrics"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/management/postgres/webserver/client/local"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/management/postgres/webserver/metricserver"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/management/url"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/promotiontoken"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/utils"
)

// The operator's default monitoring queries at this version (config/manager/default-monitoring.yaml of
// the module, placed beside this file by the build): what the chart's cnpg-default-monitoring ConfigMap holds.
//
//go:embed default-monitoring.yaml
var defaultMonitoring []byte

// The chart sets MONITORING_QUERIES_CONFIGMAP in the operator's environment (monitoringQueriesConfigMap.name).
const defaultMonitoringConfigMap = "cnpg-default-monitoring"

type operation struct {
	Name   string          `json:"name"`
	Old    json.RawMessage `json:"old,omitempty"`
	Object json.RawMessage `json:"object"`
}

type result struct {
	Name     string   `json:"name"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// defaulted decodes a Cluster and applies the mutating webhook's defaults, as the API server does first.
func defaulted(ctx context.Context, raw json.RawMessage) (*apiv1.Cluster, error) {
	var cluster apiv1.Cluster
	if err := json.Unmarshal(raw, &cluster); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if err := (&webhookv1.ClusterCustomDefaulter{}).Default(ctx, &cluster); err != nil {
		return nil, fmt.Errorf("defaulting: %w", err)
	}
	return &cluster, nil
}

// admitOne runs the validating webhook: ValidateCreate, or ValidateUpdate against the old object as the
// API server holds it (defaulted, with a resourceVersion, so create-only checks are skipped).
func admitOne(ctx context.Context, op operation) result {
	r := result{Name: op.Name, Errors: []string{}, Warnings: []string{}}
	validator := &webhookv1.ClusterCustomValidator{}
	cluster, err := defaulted(ctx, op.Object)
	var warnings []string
	if err == nil && len(op.Old) == 0 {
		warnings, err = validator.ValidateCreate(ctx, cluster)
	} else if err == nil {
		var old *apiv1.Cluster
		if old, err = defaulted(ctx, op.Old); err == nil {
			if old.ResourceVersion == "" {
				old.ResourceVersion = "1"
			}
			cluster.ResourceVersion = old.ResourceVersion
			warnings, err = validator.ValidateUpdate(ctx, old, cluster)
		}
	}
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
	r.Warnings = append(r.Warnings, warnings...)
	return r
}

func admit(input []byte) error {
	var request struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(input, &request); err != nil {
		return fmt.Errorf("reading the operations: %w", err)
	}
	results := []result{}
	for _, op := range request.Operations {
		results = append(results, admitOne(context.Background(), op))
	}
	return json.NewEncoder(os.Stdout).Encode(map[string][]result{"results": results})
}

// defaultsOf applies the mutating webhook with the operator configured as its chart configures it.
func defaultsOf(input []byte) (*apiv1.Cluster, error) {
	configuration.Current.MonitoringQueriesConfigmap = defaultMonitoringConfigMap
	return defaulted(context.Background(), input)
}

// serveMetrics runs CloudNativePG's metrics exporter for one instance, as the instance manager wires it
// (internal/cmd/manager/instance/run and the instance reconciler's monitoring queries).
func serveMetrics(args []string) error {
	flags := flag.NewFlagSet("metrics", flag.ContinueOnError)
	clusterFile := flags.String("cluster", "", "the Cluster, as JSON")
	pgdata := flags.String("pgdata", "", "the instance's data directory")
	pod := flags.String("pod", "", "the instance's pod name")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *clusterFile == "" || *pgdata == "" || *pod == "" {
		return fmt.Errorf("metrics needs --cluster, --pgdata and --pod")
	}
	// Logs as the instance manager writes them (JSON on stderr, level info).
	logFlags := log.NewFlags(zap.Options{})
	logFlags.ConfigureLogging()
	input, err := os.ReadFile(*clusterFile)
	if err != nil {
		return err
	}
	cluster, err := defaultsOf(input)
	if err != nil {
		return err
	}
	// As the operator reports it once this instance runs: the current and target primary of its Cluster.
	cluster.Status.CurrentPrimary = *pod
	cluster.Status.TargetPrimary = *pod
	instance := postgres.NewInstance().WithNamespace(cluster.Namespace).WithPodName(*pod).WithClusterName(cluster.Name)
	instance.PgData = *pgdata
	primary, err := instance.IsPrimary()
	if err != nil {
		return err
	}
	if primary {
		if err := setUpExporterRole(instance); err != nil {
			return fmt.Errorf("setting up the metrics exporter's role: %w", err)
		}
	}

	// The instance manager's local cache of its Cluster, which the exporter reads (localhost:8010).
	clusterJSON, err := json.Marshal(cluster)
	if err != nil {
		return err
	}
	cache := http.NewServeMux()
	cache.HandleFunc(url.PathCache+"cluster", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(clusterJSON) })
	go func() {
		server := &http.Server{Addr: fmt.Sprintf("localhost:%d", url.LocalPort), Handler: cache, ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintln(os.Stderr, server.ListenAndServe())
		os.Exit(2)
	}()

	// As the instance manager: the exporter is registered first, its queries set by the reconciler after.
	exporter := metricserver.NewExporter(instance, pgmetrics.NewPluginCollector(repository.New()))
	server, err := metricserver.New(instance, exporter)
	if err != nil {
		return err
	}
	dbname := "postgres"
	if name := cluster.GetApplicationDatabaseName(); name != "" {
		dbname = name
	}
	queries := pgmetrics.NewQueriesCollector("cnpg", instance, dbname)
	queries.InjectUserQueries(metricserver.DefaultQueries)
	var configMap corev1.ConfigMap
	if err := yaml.Unmarshal(defaultMonitoring, &configMap); err != nil {
		return fmt.Errorf("reading the default monitoring queries: %w", err)
	}
	if cluster.Spec.Monitoring != nil {
		for _, reference := range cluster.Spec.Monitoring.CustomQueriesConfigMap {
			if reference.Name != defaultMonitoringConfigMap {
				return fmt.Errorf("the Cluster names queries in ConfigMap %s, which this check does not have", reference.Name)
			}
			if err := queries.ParseQueries([]byte(configMap.Data[reference.Key])); err != nil {
				return fmt.Errorf("parsing the default monitoring queries: %w", err)
			}
		}
	}
	exporter.SetCustomQueries(queries)
	replicaCluster := 0.0
	if cluster.IsReplica() {
		replicaCluster = 1
	}
	exporter.Metrics.ReplicaCluster.Set(replicaCluster)

	return server.Start(context.Background())
}

// walArchive is CloudNativePG's archive_command (internal/cmd/manager/walarchive) without its status reports.
func walArchive(args []string) error {
	flags := flag.NewFlagSet("wal-archive", flag.ContinueOnError)
	pod := flags.String("pod-name", "", "the instance's pod name")
	pgdata := flags.String("pg-data", "", "the instance's data directory")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *pod == "" || *pgdata == "" || flags.NArg() != 1 {
		return fmt.Errorf("wal-archive needs --pod-name, --pg-data and the WAL file")
	}
	cluster, err := local.NewClient().Cache().GetCluster()
	if err != nil {
		return fmt.Errorf("failed to get cluster: %w", err)
	}
	return archiver.Run(context.Background(), *pod, *pgdata, cluster, flags.Arg(0))
}

// setUpExporterRole runs CloudNativePG's own set-up of the cnpg_metrics_exporter role in a transaction.
func setUpExporterRole(instance *postgres.Instance) error {
	db, err := instance.GetSuperUserDB()
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := postgres.SetupMetricsExporterRole(context.Background(), tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hsa-cnpg-admission admit|token|verify <token>|defaults|metrics|wal-archive")
		os.Exit(2)
	}
	// The long-running and archiving commands take no input: PostgreSQL's archiver does not close stdin.
	var input []byte
	var err error
	if os.Args[1] != "metrics" && os.Args[1] != "wal-archive" {
		if input, err = io.ReadAll(os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	switch os.Args[1] {
	case "admit":
		err = admit(input)
	case "defaults":
		var cluster *apiv1.Cluster
		if cluster, err = defaultsOf(input); err == nil {
			err = json.NewEncoder(os.Stdout).Encode(cluster)
		}
	case "metrics":
		err = serveMetrics(os.Args[2:])
	case "wal-archive":
		err = walArchive(os.Args[2:])
	case "token":
		// As the operator does (generateDemotionToken): only from a primary that is shut down.
		parsed := utils.ParsePgControldataOutput(string(input))
		if !utils.PgDataState(parsed.GetDatabaseClusterState()).IsShutdown(context.Background()) {
			err = fmt.Errorf("expected postmaster to be shut down (Database cluster state: %s)", parsed.GetDatabaseClusterState())
			break
		}
		var token string
		token, err = parsed.CreatePromotionToken()
		if err == nil {
			fmt.Println(token)
		}
	case "verify":
		if len(os.Args) < 3 {
			err = fmt.Errorf("verify needs the token")
			break
		}
		var content *utils.PgControldataTokenContent
		content, err = utils.ParsePgControldataToken(os.Args[2])
		if err == nil {
			err = content.IsValid()
		}
		if err == nil {
			data := utils.ParsePgControldataOutput(string(input))
			if verr := promotiontoken.ValidateAgainstInstanceStatus(content, data.GetDatabaseSystemIdentifier(), data.GetLatestCheckpointTimelineID(), data.GetLatestCheckpointREDOLocation()); verr != nil {
				fmt.Println(verr.Error())
				os.Exit(3)
			}
			fmt.Println("promotable")
		}
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
