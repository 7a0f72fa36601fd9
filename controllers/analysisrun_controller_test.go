package controllers

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func TestSecretReader(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(Scheme).WithObjects(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "prom", Namespace: "shop"},
		Data:       map[string][]byte{"token": []byte("s3cret")},
	}).Build()
	read := secretReader(c)
	ctx := context.Background()
	tests := []struct {
		ns, name, key string
		want, wantErr string
	}{
		{ns: "shop", name: "prom", key: "token", want: "s3cret"},
		{ns: "shop", name: "prom", key: "user", wantErr: `secret shop/prom has no key "user"`},
		{ns: "shop", name: "nope", key: "token", wantErr: `get Secret shop/nope: secrets "nope" not found`},
		{ns: "other", name: "prom", key: "token", wantErr: `get Secret other/prom: secrets "prom" not found`},
	}
	for _, tt := range tests {
		got, err := read(ctx, tt.ns, v1alpha1.SecretKeyRef{Name: tt.name, Key: tt.key})
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("read %s/%s[%s]: error %v, want %q", tt.ns, tt.name, tt.key, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("read %s/%s[%s] = %q, %v; want %q", tt.ns, tt.name, tt.key, got, err, tt.want)
		}
	}
}
