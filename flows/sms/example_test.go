package sms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/lockstep-id/lockstep/flows/sms"
)

func ExampleNormalize() {
	e164, err := sms.Normalize("DE", "0151 23456789")
	fmt.Println(e164, err)
	fmt.Println(sms.Mask(e164))

	_, err = sms.Normalize("DE", "030 12345678")
	fmt.Println(err)
	// Output:
	// +4915123456789 <nil>
	// +49 ••• ••• 89
	// sms: invalid phone number: phone.err_landline
}

// A receiver for the signed webhook: check the signature, then hand the message
// to the real SMS gateway and answer 2xx.
func ExampleVerifyWebhook() {
	secret := []byte("a shared secret of at least 32 bytes, from config")

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := sms.VerifyWebhook(r, secret, 5*time.Minute, time.Now())
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p sms.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		fmt.Println("deliver to", sms.Mask(p.To)) // a real receiver calls its gateway here
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	sender, err := sms.NewWebhook(receiver.URL+"/sms", secret, nil)
	if err != nil {
		panic(err)
	}
	err = sender.Send(context.Background(), sms.Message{To: "+4915123456789", Text: "Your code is 123456"})
	fmt.Println("sent:", err)

	wrong, _ := sms.NewWebhook(receiver.URL+"/sms", []byte("not the receiver's secret, 32+ bytes"), nil)
	fmt.Println(wrong.Send(context.Background(), sms.Message{To: "+4915123456789", Text: "Your code is 123456"}))
	// Output:
	// deliver to +49 ••• ••• 89
	// sent: <nil>
	// sms: webhook to +49 ••• ••• 89: receiver answered HTTP 401: bad signature
}
