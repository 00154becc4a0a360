//go:build cgo && linux

package rsasign

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

// The few OpenSSL 3 functions used, declared here and found with dlsym, so
// that building needs no OpenSSL headers and running needs no libcrypto.
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct evp_md_st EVP_MD;

static unsigned long (*p_OpenSSL_version_num)(void);
static const char *(*p_OpenSSL_version)(int);
static EVP_PKEY *(*p_d2i_PrivateKey)(int, EVP_PKEY **, const unsigned char **, long);
static void (*p_EVP_PKEY_free)(EVP_PKEY *);
static EVP_PKEY_CTX *(*p_EVP_PKEY_CTX_new)(EVP_PKEY *, void *);
static void (*p_EVP_PKEY_CTX_free)(EVP_PKEY_CTX *);
static int (*p_EVP_PKEY_sign_init)(EVP_PKEY_CTX *);
static int (*p_EVP_PKEY_CTX_set_rsa_padding)(EVP_PKEY_CTX *, int);
static int (*p_EVP_PKEY_CTX_set_signature_md)(EVP_PKEY_CTX *, const EVP_MD *);
static const EVP_MD *(*p_EVP_sha256)(void);
static int (*p_EVP_PKEY_sign)(EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
static void (*p_ERR_clear_error)(void);

#define LS_EVP_PKEY_RSA 6
#define LS_RSA_PKCS1_PADDING 1
#define LS_OPENSSL_VERSION 0

// ls_load finds libcrypto.so.3 and its functions: 0, or -1 when the library is
// missing, -2 when a function is, -3 when it is older than OpenSSL 3.
static int ls_load(void) {
	void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) return -1;
#define LS_SYM(name) if ((*(void **)(&p_##name) = dlsym(lib, #name)) == NULL) return -2
	LS_SYM(OpenSSL_version_num);
	LS_SYM(OpenSSL_version);
	LS_SYM(d2i_PrivateKey);
	LS_SYM(EVP_PKEY_free);
	LS_SYM(EVP_PKEY_CTX_new);
	LS_SYM(EVP_PKEY_CTX_free);
	LS_SYM(EVP_PKEY_sign_init);
	LS_SYM(EVP_PKEY_CTX_set_rsa_padding);
	LS_SYM(EVP_PKEY_CTX_set_signature_md);
	LS_SYM(EVP_sha256);
	LS_SYM(EVP_PKEY_sign);
	LS_SYM(ERR_clear_error);
#undef LS_SYM
	if (p_OpenSSL_version_num() < 0x30000000UL) return -3;
	return 0;
}

static const char *ls_version(void) { return p_OpenSSL_version(LS_OPENSSL_VERSION); }

// ls_key parses a PKCS #1 RSAPrivateKey.
static EVP_PKEY *ls_key(const unsigned char *der, long len) {
	EVP_PKEY *k = p_d2i_PrivateKey(LS_EVP_PKEY_RSA, NULL, &der, len);
	if (k == NULL) p_ERR_clear_error();
	return k;
}

static void ls_key_free(EVP_PKEY *k) { p_EVP_PKEY_free(k); }

// ls_ctx is a context that signs SHA-256 digests with PKCS #1 v1.5 padding;
// one context serves one signature at a time, and many in turn.
static EVP_PKEY_CTX *ls_ctx(EVP_PKEY *k) {
	EVP_PKEY_CTX *c = p_EVP_PKEY_CTX_new(k, NULL);
	if (c == NULL) {
		p_ERR_clear_error();
		return NULL;
	}
	if (p_EVP_PKEY_sign_init(c) <= 0 ||
	    p_EVP_PKEY_CTX_set_rsa_padding(c, LS_RSA_PKCS1_PADDING) <= 0 ||
	    p_EVP_PKEY_CTX_set_signature_md(c, p_EVP_sha256()) <= 0) {
		p_EVP_PKEY_CTX_free(c);
		p_ERR_clear_error();
		return NULL;
	}
	return c;
}

static void ls_ctx_free(EVP_PKEY_CTX *c) { p_EVP_PKEY_CTX_free(c); }

// ls_sign writes the signature of a 32-byte digest to sig (siglen bytes of
// room): the signature's length, or 0 on failure.
static size_t ls_sign(EVP_PKEY_CTX *c, unsigned char *sig, size_t siglen, const unsigned char *digest) {
	size_t n = siglen;
	if (p_EVP_PKEY_sign(c, sig, &n, digest, 32) <= 0) {
		p_ERR_clear_error();
		return 0;
	}
	return n;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

func loadLibcrypto() (string, error) {
	switch C.ls_load() {
	case 0:
		return C.GoString(C.ls_version()), nil
	case -1:
		return "", errors.New("libcrypto.so.3 not found")
	case -2:
		return "", errors.New("libcrypto.so.3 lacks a function it needs")
	default:
		return "", errors.New("libcrypto.so.3 is older than OpenSSL 3")
	}
}

// nativeKey is a private key inside OpenSSL, with idle signing contexts for
// reuse, so that a signature does not pay for setting one up.
type nativeKey struct {
	pkey *C.EVP_PKEY
	size int
	idle chan *C.EVP_PKEY_CTX
}

// idleContexts is how many contexts a key keeps between signatures: enough for
// the signatures that run at once on a few CPUs; more are made and freed.
const idleContexts = 16

func newNativeKey(pkcs1 []byte, size int) (*nativeKey, error) {
	if len(pkcs1) == 0 {
		return nil, errors.New("empty key")
	}
	der := C.CBytes(pkcs1)
	defer func() {
		C.memset(der, 0, C.size_t(len(pkcs1)))
		C.free(der)
	}()
	pkey := C.ls_key((*C.uchar)(der), C.long(len(pkcs1)))
	if pkey == nil {
		return nil, errors.New("d2i_PrivateKey refused the key")
	}
	return &nativeKey{pkey: pkey, size: size, idle: make(chan *C.EVP_PKEY_CTX, idleContexts)}, nil
}

// signSHA256 signs a SHA-256 digest (32 bytes: Signer.Sign checks).
func (k *nativeKey) signSHA256(digest []byte) ([]byte, error) {
	var c *C.EVP_PKEY_CTX
	select {
	case c = <-k.idle:
	default:
		if c = C.ls_ctx(k.pkey); c == nil {
			return nil, errors.New("could not make a signing context")
		}
	}
	sig := make([]byte, k.size)
	n := C.ls_sign(c, (*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)), (*C.uchar)(unsafe.Pointer(&digest[0])))
	if n == 0 || int(n) > len(sig) {
		C.ls_ctx_free(c) // not reused after a failure
		return nil, errors.New("EVP_PKEY_sign failed")
	}
	select {
	case k.idle <- c:
	default:
		C.ls_ctx_free(c)
	}
	return sig[:n], nil
}

// free releases the key and its idle contexts; nothing may sign with it after.
func (k *nativeKey) free() {
	for {
		select {
		case c := <-k.idle:
			C.ls_ctx_free(c)
		default:
			C.ls_key_free(k.pkey)
			return
		}
	}
}
