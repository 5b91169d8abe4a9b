/** The Kafka pairs' images: Strimzi's, under `<registry.images>/strimzi/`. */

/** Strimzi's images live under `<registry.images>/strimzi/`; the operator pulls the Kafka image itself. */
export const STRIMZI_IMAGE_PATH = 'strimzi';

/** Images the Strimzi operator (chart `version`) runs and pulls for a Kafka cluster of `kafkaVersion`. */
export function strimziImages(imageRegistry: string, imagePath: string, operatorVersion: string, kafkaVersion: string): string[] {
  const base = `${imageRegistry}/${imagePath}/${STRIMZI_IMAGE_PATH}`;
  return [`${base}/operator:${operatorVersion}`, `${base}/kafka:${operatorVersion}-kafka-${kafkaVersion}`];
}
