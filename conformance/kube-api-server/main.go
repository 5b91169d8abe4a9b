// Validates custom resources the way the Kubernetes API server does when they are created or updated,
// with the API server's own code (k8s.io/apiextensions-apiserver at the version in go.mod): the CRD
// version's schema made structural, unknown fields pruned (reported here: the API server drops them
// without a word), defaults applied, then the checks of the custom resource strategy's Validate or
// ValidateUpdate: type and object metadata, the OpenAPI schema, embedded resources, list-type invariants
// and the CRD's CEL rules (x-kubernetes-validations; on an update, transition rules with oldSelf too, and
// validation ratcheting as the API server does it by default).
//
// Input on stdin, one JSON document:
//
//	{"schemas": [{"group", "version", "kind", "namespaced", "schema": <openAPIV3Schema>}],
//	 "objects": [{"name": "<what the report calls it>", "object": <the custom resource>,
//	              "old": <the stored object, for an update; absent for a create>}]}
//
// Output on stdout, one JSON document: [{"name", "errors": ["<field>: <message>", ...]}], in input order.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	celmodel "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/common"
)

type schemaInput struct {
	Group      string          `json:"group"`
	Version    string          `json:"version"`
	Kind       string          `json:"kind"`
	Namespaced bool            `json:"namespaced"`
	Schema     json.RawMessage `json:"schema"`
}

type objectInput struct {
	Name   string          `json:"name"`
	Object json.RawMessage `json:"object"`
	Old    json.RawMessage `json:"old,omitempty"`
}

type input struct {
	Schemas []schemaInput `json:"schemas"`
	Objects []objectInput `json:"objects"`
}

type result struct {
	Name   string   `json:"name"`
	Errors []string `json:"errors"`
}

// compiledSchema is one CRD version as the API server prepares it: once, however many objects use it.
type compiledSchema struct {
	namespaced bool
	structural *structuralschema.Structural
	validator  apiextensionsvalidation.SchemaValidator
	cel        *cel.Validator
}

func compile(in schemaInput) (*compiledSchema, error) {
	var external apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(in.Schema, &external); err != nil {
		return nil, fmt.Errorf("schema of %s/%s %s: %v", in.Group, in.Version, in.Kind, err)
	}
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(&external, &internal, nil); err != nil {
		return nil, fmt.Errorf("schema of %s/%s %s: %v", in.Group, in.Version, in.Kind, err)
	}
	structural, err := structuralschema.NewStructural(&internal)
	if err != nil {
		return nil, fmt.Errorf("schema of %s/%s %s is not structural: %v", in.Group, in.Version, in.Kind, err)
	}
	validator, _, err := apiextensionsvalidation.NewSchemaValidator(&internal)
	if err != nil {
		return nil, fmt.Errorf("schema of %s/%s %s: %v", in.Group, in.Version, in.Kind, err)
	}
	return &compiledSchema{
		namespaced: in.Namespaced,
		structural: structural,
		validator:  validator,
		// As the custom resource strategy does: CEL programs compiled once per schema.
		cel: cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// decoded is an object as the API server holds it after decoding: unknown fields pruned (their paths
// returned), defaults applied.
func decoded(schema *compiledSchema, raw json.RawMessage) (*unstructured.Unstructured, []string, error) {
	var object map[string]interface{}
	// The API server's JSON decoding: integers stay int64, as the schema validators expect.
	if err := utiljson.Unmarshal(raw, &object); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %v", err)
	}
	pruned := structuralpruning.PruneWithOptions(object, schema.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.Default(object, schema.structural)
	return &unstructured.Unstructured{Object: object}, pruned, nil
}

// admit runs what creating the object (old == nil) or updating old to it runs in the API server, in its order.
func admit(schema *compiledSchema, raw, oldRaw json.RawMessage) []string {
	u, pruned, err := decoded(schema, raw)
	if err != nil {
		return []string{err.Error()}
	}
	var old *unstructured.Unstructured
	if len(oldRaw) > 0 {
		// The stored object went through the same decoding when it was written, and the API server gave
		// it these; a patch or an apply (what Terraform sends) carries them into the updated object.
		if old, _, err = decoded(schema, oldRaw); err != nil {
			return []string{"old: " + err.Error()}
		}
		old.SetResourceVersion("1")
		old.SetUID("00000000-0000-0000-0000-000000000001")
		u.SetResourceVersion(old.GetResourceVersion())
		u.SetUID(old.GetUID())
	}
	var messages []string
	// The API server prunes fields the schema does not declare; the toolkit would lose them silently.
	for _, path := range pruned {
		messages = append(messages, fmt.Sprintf("%s: unknown field (the API server drops it)", path))
	}

	var errs field.ErrorList
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		errs = append(errs, field.Required(field.NewPath("apiVersion"), "apiVersion and kind must be set"))
	}
	var celOptions []cel.Option
	var oldObject interface{}
	if old == nil {
		errs = append(errs, validation.ValidateObjectMetaAccessor(u, schema.namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
		errs = append(errs, apiextensionsvalidation.ValidateCustomResource(nil, u.UnstructuredContent(), schema.validator)...)
		errs = append(errs, schemaobjectmeta.Validate(nil, u.Object, schema.structural, false)...)
		errs = append(errs, listtype.ValidateListSetsAndMaps(nil, schema.structural, u.Object)...)
	} else {
		// Validation ratcheting (on by default): what was already invalid in the stored object and is
		// unchanged does not fail the update.
		correlated := common.NewCorrelatedObject(u.Object, old.Object, &celmodel.Structural{Structural: schema.structural})
		celOptions = append(celOptions, cel.WithRatcheting(correlated))
		oldObject = old.Object
		errs = append(errs, validation.ValidateObjectMetaAccessorUpdate(u, old, field.NewPath("metadata"))...)
		errs = append(errs, apiextensionsvalidation.ValidateCustomResourceUpdate(nil, u.UnstructuredContent(), old.UnstructuredContent(), schema.validator, apiextensionsvalidation.WithRatcheting(correlated))...)
		errs = append(errs, schemaobjectmeta.Validate(nil, u.Object, schema.structural, false)...)
		if oldErrs := listtype.ValidateListSetsAndMaps(nil, schema.structural, old.Object); len(oldErrs) == 0 {
			errs = append(errs, listtype.ValidateListSetsAndMaps(nil, schema.structural, u.Object)...)
		}
	}
	// CEL rules run only on an object the schema admits, as in the strategy (hasBlockingErr).
	if blocking(errs) {
		errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	} else {
		celErrs, _ := schema.cel.Validate(context.Background(), nil, schema.structural, u.Object, oldObject, celconfig.RuntimeCELCostBudget, celOptions...)
		errs = append(errs, celErrs...)
	}
	for _, err := range errs {
		messages = append(messages, err.Error())
	}
	return messages
}

// blocking is the strategy's hasBlockingErr: errors after which the CEL rules are not run.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		if err.Type == field.ErrorTypeNotSupported || err.Type == field.ErrorTypeRequired || err.Type == field.ErrorTypeTooLong || err.Type == field.ErrorTypeTooMany || err.Type == field.ErrorTypeTypeInvalid {
			return true
		}
	}
	return false
}

func run(stdin io.Reader, stdout io.Writer) error {
	var in input
	decoder := json.NewDecoder(stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		return fmt.Errorf("reading the input: %v", err)
	}
	schemas := map[string]*compiledSchema{}
	for _, s := range in.Schemas {
		compiled, err := compile(s)
		if err != nil {
			return err
		}
		schemas[s.Group+"/"+s.Version+"/"+s.Kind] = compiled
	}
	results := make([]result, 0, len(in.Objects))
	for _, o := range in.Objects {
		var typeMeta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(o.Object, &typeMeta); err != nil {
			results = append(results, result{Name: o.Name, Errors: []string{fmt.Sprintf("not a JSON object: %v", err)}})
			continue
		}
		key := typeMeta.APIVersion + "/" + typeMeta.Kind
		if !strings.Contains(typeMeta.APIVersion, "/") {
			key = "/" + key
		}
		schema, ok := schemas[key]
		if !ok {
			results = append(results, result{Name: o.Name, Errors: []string{fmt.Sprintf("no schema given for %s %s", typeMeta.APIVersion, typeMeta.Kind)}})
			continue
		}
		results = append(results, result{Name: o.Name, Errors: nonNil(admit(schema, o.Object, o.Old))})
	}
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(results); err != nil {
		return err
	}
	_, err := stdout.Write(out.Bytes())
	return err
}

func nonNil(messages []string) []string {
	if messages == nil {
		return []string{}
	}
	return messages
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hsa-kube-api-server-validation:", err)
		os.Exit(2)
	}
}
