// Command terraform-engine judges synthesized stacks (cdk.tf.json files named as arguments) with the
// real components' own code, for the classes of defect the deploy rehearsal found
// (docs/deploy-rehearsal.md), where CI has neither the providers nor a cluster:
//
//   - every string is parsed as Terraform's JSON syntax parses it, as a template (hclsyntax.ParseTemplate,
//     which hcl/v2/json calls for each string), and every reference in it must name what the stack
//     declares: a resource type and name, a data source, a variable (a bare `${DB_PASSWORD}` is the
//     "A reference to a resource type must be followed by at least one attribute access" of validate);
//   - every quantity of a kubernetes_* resource (resources, quota, limit range, volume sizes) must be
//     in the form the API server stores (k8s.io/apimachinery resource.Quantity's String): any other
//     form is a change in every plan.
//
// It prints one JSON object: the counts and every problem found. Exit 0 whatever it found; 2 on
// unreadable input.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"k8s.io/apimachinery/pkg/api/resource"
)

type report struct {
	Strings    int      `json:"strings"`
	Templates  int      `json:"templates"`
	References int      `json:"references"`
	Quantities int      `json:"quantities"`
	Problems   []string `json:"problems"`
}

// Keys whose values (a map of them, or one) are quantities in the kubernetes provider's schemas.
var quantityMaps = map[string]bool{"limits": true, "requests": true, "hard": true, "default": true, "default_request": true, "max": true, "min": true, "max_limit_request_ratio": true}
var quantityFields = map[string]bool{"size_limit": true, "storage": true}

type stack struct {
	file      string
	resources map[string]map[string]bool
	variables map[string]bool
	data      map[string]map[string]bool
}

func keys(m map[string]any) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for typ, byName := range m {
		names := map[string]bool{}
		if inner, ok := byName.(map[string]any); ok {
			for name := range inner {
				names[name] = true
			}
		}
		out[typ] = names
	}
	return out
}

// checkReference: a traversal must name something the stack declares.
func (s *stack) checkReference(path string, t hcl.Traversal) string {
	root := t.RootName()
	attr := func(i int) (string, bool) {
		if len(t) <= i {
			return "", false
		}
		a, ok := t[i].(hcl.TraverseAttr)
		return a.Name, ok
	}
	switch root {
	case "var":
		name, ok := attr(1)
		if !ok || !s.variables[name] {
			return fmt.Sprintf("%s: var.%s is not a declared variable", path, name)
		}
		return ""
	case "data":
		typ, ok1 := attr(1)
		name, ok2 := attr(2)
		if !ok1 || !ok2 || !s.data[typ][name] {
			return fmt.Sprintf("%s: data.%s.%s is not declared", path, typ, name)
		}
		return ""
	}
	names, isType := s.resources[root]
	name, ok := attr(1)
	if !isType || !ok || !names[name] {
		return fmt.Sprintf("%s: ${%s...} does not name a declared resource (Terraform reads it as a reference: write $${ for a literal)", path, root)
	}
	if len(t) < 3 {
		return fmt.Sprintf("%s: a reference to %s.%s must be followed by an attribute", path, root, name)
	}
	return ""
}

func (s *stack) walk(r *report, value any, path []string, resourceType string) {
	switch v := value.(type) {
	case map[string]any:
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			typ := resourceType
			if len(path) == 1 && path[0] == "resource" {
				typ = k
			}
			s.walk(r, v[k], append(path, k), typ)
		}
	case []any:
		for i, item := range v {
			s.walk(r, item, append(path, fmt.Sprint(i)), resourceType)
		}
	case string:
		r.Strings++
		where := s.file + ":" + strings.Join(path, ".")
		expr, diags := hclsyntax.ParseTemplate([]byte(v), where, hcl.InitialPos)
		if diags.HasErrors() {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: not a valid template: %s", where, diags.Error()))
			return
		}
		if _, literal := expr.(*hclsyntax.TemplateExpr); !literal || len(expr.Variables()) > 0 {
			r.Templates++
		}
		for _, t := range expr.Variables() {
			r.References++
			if problem := s.checkReference(where, t); problem != "" {
				r.Problems = append(r.Problems, problem)
			}
		}
		if strings.HasPrefix(resourceType, "kubernetes_") && resourceType != "kubernetes_manifest" && len(path) >= 2 {
			field, parent := path[len(path)-1], path[len(path)-2]
			if quantityFields[field] || quantityMaps[parent] {
				if q, err := resource.ParseQuantity(v); err == nil {
					r.Quantities++
					if q.String() != v {
						r.Problems = append(r.Problems, fmt.Sprintf("%s: quantity %q is stored by the API server as %q (a change in every plan)", where, v, q.String()))
					}
				}
			}
		}
	}
}

func main() {
	r := report{Problems: []string{}}
	for _, file := range os.Args[1:] {
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			os.Exit(2)
		}
		s := &stack{file: file, resources: map[string]map[string]bool{}, variables: map[string]bool{}, data: map[string]map[string]bool{}}
		if m, ok := doc["resource"].(map[string]any); ok {
			s.resources = keys(m)
		}
		if m, ok := doc["data"].(map[string]any); ok {
			s.data = keys(m)
		}
		if m, ok := doc["variable"].(map[string]any); ok {
			for name := range m {
				s.variables[name] = true
			}
		}
		s.walk(&r, doc, nil, "")
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
