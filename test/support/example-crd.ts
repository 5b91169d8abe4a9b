/**
 * A small CRD written for the tests of custom resource validation: a required field, a default, an
 * int-or-string, a free-form object, a oneOf in Strimzi's manner, two CEL rules and a transition rule.
 */
export const WIDGET_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  scope: Namespaced
  names: { kind: Widget }
  versions:
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer }
                replicas: { type: integer, default: 2 }
                port: { x-kubernetes-int-or-string: true }
                free: { type: object, x-kubernetes-preserve-unknown-fields: true }
                ca:
                  type: object
                  properties: { secretName: { type: string }, certificate: { type: string }, pattern: { type: string } }
                  oneOf: [{ required: [certificate] }, { required: [pattern] }]
                  required: [secretName]
              x-kubernetes-validations:
                - { rule: 'self.size <= 10', message: 'size is at most 10' }
                - { rule: 'self.replicas == 2 || self.size > 1', message: 'more replicas need a size above 1' }
                - { rule: 'self.size >= oldSelf.size', message: 'size never shrinks' }
`;
