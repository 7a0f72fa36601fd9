package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Argument is a named value for a template arg.
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="an argument sets value or valueFrom, not both"
type Argument struct {
	// Name of the arg; used as {{args.name}} in queries.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-zA-Z][-a-zA-Z0-9_]*$`
	Name string `json:"name"`
	// Value of the arg. In a template it is the default.
	// +optional
	Value *string `json:"value,omitempty"`
	// ValueFrom reads the value from a Secret in the Rollout's namespace.
	// +optional
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom is a source for an arg's value.
type ArgumentValueFrom struct {
	// SecretKeyRef selects a key of a Secret.
	// +required
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef"`
}

// SecretKeyRef selects a key of a Secret in the same namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`
}

// NoDataPolicy says what an empty query result counts as.
// +kubebuilder:validation:Enum=Inconclusive;Fail;Pass
type NoDataPolicy string

const (
	// NoDataInconclusive counts an empty result as inconclusive (the default).
	NoDataInconclusive NoDataPolicy = "Inconclusive"
	// NoDataFail counts an empty result as a failure.
	NoDataFail NoDataPolicy = "Fail"
	// NoDataPass counts an empty result as a success.
	NoDataPass NoDataPolicy = "Pass"
)

// Metric is one measurement repeated over time.
// +kubebuilder:validation:XValidation:rule="!has(self.count) || self.count <= 1 || has(self.interval)",message="interval is required when count is greater than 1",fieldPath=".interval"
type Metric struct {
	// Name of the metric, unique within a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Interval between measurements.
	// +optional
	Interval *Duration `json:"interval,omitempty"`
	// Count is the number of measurements. Absent with an interval: measure until the update
	// ends. Absent without an interval: measure once.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Count *int32 `json:"count,omitempty"`
	// InitialDelay waits this long before the first measurement.
	// +optional
	InitialDelay *Duration `json:"initialDelay,omitempty"`
	// SuccessCondition is a CEL expression over `result` (a number, or a list for a vector)
	// that is true when the measurement is good, e.g. "result >= 0.99".
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	SuccessCondition string `json:"successCondition,omitempty"`
	// FailureCondition is a CEL expression that is true when the measurement is bad. When
	// neither condition is true the measurement is inconclusive.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements are tolerated before the metric fails.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	FailureLimit *int32 `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated before the
	// metric is inconclusive.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	InconclusiveLimit *int32 `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many provider errors in a row (Prometheus down, bad
	// query) are tolerated before the metric errors.
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=0
	ConsecutiveErrorLimit *int32 `json:"consecutiveErrorLimit,omitempty"`
	// NoDataPolicy says what an empty result counts as. Default Inconclusive: missing data
	// never counts as success unless this says Pass.
	// +optional
	// +kubebuilder:default=Inconclusive
	NoDataPolicy NoDataPolicy `json:"noDataPolicy,omitempty"`
	// DryRun metrics are measured and reported but never decide the run.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Provider is where the measurement comes from.
	// +required
	Provider MetricProvider `json:"provider"`
}

// MetricProvider holds exactly one provider.
// +kubebuilder:validation:XValidation:rule="(has(self.prometheus) ? 1 : 0) + (has(self.web) ? 1 : 0) == 1",message="exactly one provider (prometheus or web) must be set"
type MetricProvider struct {
	// Prometheus runs an instant query.
	// +optional
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	// Web calls an HTTP endpoint and reads a JSON value.
	// +optional
	Web *WebMetric `json:"web,omitempty"`
}

// PrometheusMetric is an instant PromQL query.
type PrometheusMetric struct {
	// Address of the Prometheus server, e.g. http://prometheus.monitoring:9090.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^https?://`
	Address string `json:"address"`
	// Query is PromQL; {{args.name}} is replaced by the arg's value.
	// +required
	// +kubebuilder:validation:MinLength=1
	Query string `json:"query"`
	// Timeout of one query.
	// +optional
	// +kubebuilder:default="10s"
	Timeout *Duration `json:"timeout,omitempty"`
	// Auth reads credentials from a Secret.
	// +optional
	Auth *ProviderAuth `json:"auth,omitempty"`
	// TLS options.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// ProviderAuth reads credentials from Secrets in the namespace of the run.
// +kubebuilder:validation:XValidation:rule="!(has(self.bearerToken) && has(self.basic))",message="auth sets bearerToken or basic, not both"
type ProviderAuth struct {
	// BearerToken is sent as "Authorization: Bearer <token>".
	// +optional
	BearerToken *SecretKeyRef `json:"bearerToken,omitempty"`
	// Basic is HTTP basic auth.
	// +optional
	Basic *BasicAuth `json:"basic,omitempty"`
}

// BasicAuth reads a user name and password from a Secret.
type BasicAuth struct {
	// Username key in the Secret.
	// +required
	Username SecretKeyRef `json:"username"`
	// Password key in the Secret.
	// +required
	Password SecretKeyRef `json:"password"`
}

// TLSConfig configures TLS to a provider.
type TLSConfig struct {
	// CASecret holds the PEM CA bundle that signs the server's certificate.
	// +optional
	CASecret *SecretKeyRef `json:"caSecret,omitempty"`
	// InsecureSkipVerify skips verification of the server's certificate.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// WebMetric calls an HTTP endpoint.
type WebMetric struct {
	// URL to call; {{args.name}} is replaced.
	// +required
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url"`
	// Method is GET or POST.
	// +optional
	// +kubebuilder:default=GET
	// +kubebuilder:validation:Enum=GET;POST
	Method string `json:"method,omitempty"`
	// Headers to send.
	// +optional
	// +listType=atomic
	Headers []WebHeader `json:"headers,omitempty"`
	// Body sent with POST.
	// +optional
	Body string `json:"body,omitempty"`
	// JSONPath selects the value in the response, e.g. "{$.data.ok}". Empty: the whole body.
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`
	// Timeout of one call.
	// +optional
	// +kubebuilder:default="10s"
	Timeout *Duration `json:"timeout,omitempty"`
	// Auth reads credentials from a Secret.
	// +optional
	Auth *ProviderAuth `json:"auth,omitempty"`
	// TLS options.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// WebHeader is an HTTP header.
type WebHeader struct {
	// +required
	Key string `json:"key"`
	// +required
	Value string `json:"value"`
}

// AnalysisTemplateSpec holds args and metrics.
type AnalysisTemplateSpec struct {
	// Args the metrics may use as {{args.name}}. An arg without a value must be given by
	// the Rollout.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Args []Argument `json:"args,omitempty"`
	// Metrics to measure.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=at,categories=stride

// AnalysisTemplate describes how to tell whether a revision is healthy.
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// +required
	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// AnalysisTemplateList is a list of AnalysisTemplates.
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisTemplate `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cat,categories=stride

// ClusterAnalysisTemplate is an AnalysisTemplate for every namespace.
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// +required
	Spec AnalysisTemplateSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterAnalysisTemplate `json:"items"`
}

// AnalysisPhase is the state of a run or a measurement.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Error;Inconclusive
type AnalysisPhase string

const (
	AnalysisPhasePending      AnalysisPhase = "Pending"
	AnalysisPhaseRunning      AnalysisPhase = "Running"
	AnalysisPhaseSuccessful   AnalysisPhase = "Successful"
	AnalysisPhaseFailed       AnalysisPhase = "Failed"
	AnalysisPhaseError        AnalysisPhase = "Error"
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether the phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// AnalysisRunSpec is a resolved set of metrics with their args.
type AnalysisRunSpec struct {
	// Args with their values (resolved from the Rollout and the templates' defaults).
	// +optional
	// +listType=map
	// +listMapKey=name
	Args []Argument `json:"args,omitempty"`
	// Metrics to measure.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
	// Terminate stops a run that measures until the update ends; it ends Successful unless
	// a metric already decided otherwise.
	// +optional
	Terminate bool `json:"terminate,omitempty"`
}

// Measurement is one measurement of a metric.
type Measurement struct {
	// Phase of this measurement: Successful, Failed, Inconclusive or Error.
	Phase AnalysisPhase `json:"phase"`
	// Value as text (a number, or a list for a vector).
	// +optional
	Value string `json:"value,omitempty"`
	// Message explains an error or an empty result.
	// +optional
	Message string `json:"message,omitempty"`
	// StartedAt is when the measurement was taken.
	StartedAt metav1.Time `json:"startedAt"`
	// FinishedAt is when it ended.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// MetricResult is the state of one metric of a run.
type MetricResult struct {
	// Name of the metric.
	Name string `json:"name"`
	// Phase of the metric.
	Phase AnalysisPhase `json:"phase"`
	// Count of measurements taken (including dropped old ones).
	// +optional
	Count int32 `json:"count,omitempty"`
	// Successful measurements.
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// Failed measurements.
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// Inconclusive measurements.
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// Error measurements, in total.
	// +optional
	Error int32 `json:"error,omitempty"`
	// ConsecutiveError is the number of errors in a row.
	// +optional
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`
	// DryRun is true for a metric that reports but does not decide.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// Measurements are the last measurements, oldest first.
	// +optional
	// +listType=atomic
	Measurements []Measurement `json:"measurements,omitempty"`
}

// AnalysisRunStatus is the state of a run.
type AnalysisRunStatus struct {
	// Phase of the run: the worst of its deciding metrics.
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message explains the phase, e.g. "success-rate 0.91 below 0.99".
	// +optional
	Message string `json:"message,omitempty"`
	// StartedAt is when the run started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// MetricResults per metric.
	// +optional
	// +listType=map
	// +listMapKey=name
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	// ObservedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ar,categories=stride
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// AnalysisRun measures metrics for one analysis of a Rollout.
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// +required
	Spec AnalysisRunSpec `json:"spec"`
	// +optional
	Status AnalysisRunStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AnalysisRunList is a list of AnalysisRuns.
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AnalysisTemplate{}, &AnalysisTemplateList{},
		&ClusterAnalysisTemplate{}, &ClusterAnalysisTemplateList{},
		&AnalysisRun{}, &AnalysisRunList{})
}
