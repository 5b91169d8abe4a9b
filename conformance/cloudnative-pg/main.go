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
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	apiv1 "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	webhookv1 "github.com/cloudnative-pg/cloudnative-pg/internal/webhook/v1"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/promotiontoken"
	"github.com/cloudnative-pg/cloudnative-pg/pkg/utils"
)

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

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hsa-cnpg-admission admit|token|verify <token>")
		os.Exit(2)
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "admit":
		err = admit(input)
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
