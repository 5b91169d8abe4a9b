// The log gateway's OpenTelemetry Collector (model/log-shipping.ts): the OTLP receiver and the
// Elasticsearch exporter at 0.150.0, the contrib image's version the gateway deploys. It is a release
// apart from the collector beside the applications (business/otelcol, 0.165.0) because the Go module
// proxy serves the Elasticsearch exporter at 0.148.0 and 0.150.0 only, and the file-log receiver and
// file storage not at those: each build keeps all its collector modules at one release. The drills run
// this build with exactly the synthesized configuration.
package main

import (
	"log"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/elasticsearchexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{}
	if factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return factories, err
	}
	if factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](elasticsearchexporter.NewFactory()); err != nil {
		return factories, err
	}
	// The collector's own telemetry (its logs; the configuration turns its metrics off).
	factories.Telemetry = otelconftelemetry.NewFactory()
	return factories, nil
}

func main() {
	info := component.BuildInfo{Command: "hsa-log-gateway", Description: "OpenTelemetry Collector (otlp, elasticsearch)", Version: "0.150.0"}
	settings := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			// `${env:...}`: the Elasticsearch password comes from the pod's environment (a Secret), never the file.
			ResolverSettings: confmap.ResolverSettings{ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()}, DefaultScheme: "file"},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
