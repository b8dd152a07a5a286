/*
 * afalg_test: guest-side test of the virtio-crypto device through the Linux AF_ALG
 * "skcipher" interface, algorithm cbc(aes).
 *
 * Binds by driver name "virtio_crypto_aes_cbc" so the request really goes to the device
 * (the generic "cbc(aes)" would silently pick whichever implementation has the highest
 * priority). `-f` falls back to "cbc(aes)" when the driver is not registered; `-a NAME`
 * binds to any other name (e.g. "cbc(aes-generic)" for the guest's software cipher).
 *
 * Modes:
 *   vectors  NIST SP 800-38A F.2.1-F.2.6 (CBC-AES128/192/256 encrypt and decrypt), each out of
 *            place and in place; one "VEC ... PASS|FAIL" line each.
 *   random   seeded pseudo-random requests; one REQ line each (format below). The request
 *            sequence is defined by afalg_prng.py, which the host uses to regenerate inputs and
 *            check the outputs (check_results.py). With -V each output is also compared, in the
 *            guest, with the same request run through a reference driver (cbc(aes-generic)).
 *   deep     the random sequence on one key, -w requests in flight at once (one op socket and
 *            one asynchronous read each): full virtqueues and the driver's retry path (run_deep).
 *   bench    encrypt requests of -z bytes for -t seconds; prints bytes/s and requests/s.
 *   gen      no crypto: prints the random-mode request sequence ("GEN idx key iv len dir
 *            inplace sha256(input)") so the host can check afalg_prng.py against this program.
 *
 * "In place" with AF_ALG: the data a user sends is normally copied by the kernel into its own
 * pages (the TX scatterlist) and the result is written straight into the user's receive buffer
 * (RX scatterlist), so the driver always sees src != dst. Here, an in-place request (default
 * method "splice") hands the user's page-aligned buffer to the socket with vmsplice()+splice(),
 * which puts references to the *user's pages* in the TX scatterlist, and then receives into the
 * *same* buffer: the driver gets src and dst scatterlists that name the same physical pages, so
 * the device reads and writes the same guest memory. With -c ("copy"), in-place only means the
 * same user buffer is used for write() and read() (the device still sees distinct buffers).
 * Out of place: separate input and output buffers, data sent with sendmsg().
 *
 * REQ line: REQ <idx> <keyhex> <ivhex> <len> <enc|dec> <sha256(input)> <sha256(output)>
 * preceded by "RANDOM seed=<s> count=<n> maxlen=<m> alg=<name> inplace=<splice|copy>"
 * and followed by "RANDOM-DONE count=<n> errors=<e> verified=<v> mismatches=<m>".
 *
 * Build: gcc -static -O2 -Wall -o afalg_test afalg_test.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/aio_abi.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define DEFAULT_ALG "virtio_crypto_aes_cbc"
#define FALLBACK_ALG "cbc(aes)"
#define REF_ALG "cbc(aes-generic)"
#define MAX_LEN (1u << 20)

/* ------------------------------------------------------------------ SHA-256 (FIPS 180-4) */
typedef struct {
    uint32_t h[8];
    uint64_t nbytes;
    uint8_t buf[64];
    size_t nbuf;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const uint8_t *p)
{
    uint32_t w[64], a, b, cc, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
    e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22);
        uint32_t mj = (a & b) ^ (a & cc) ^ (b & cc);
        uint32_t t2 = S0 + mj;
        h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_init(sha256_ctx *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->nbytes = 0;
    c->nbuf = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n)
{
    c->nbytes += n;
    if (c->nbuf) {
        size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, k);
        c->nbuf += k; p += k; n -= k;
        if (c->nbuf == 64) { sha256_block(c, c->buf); c->nbuf = 0; }
    }
    while (n >= 64) { sha256_block(c, p); p += 64; n -= 64; }
    if (n) { memcpy(c->buf, p, n); c->nbuf = n; }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->nbytes * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->nbuf < 56) ? 56 - c->nbuf : 120 - c->nbuf;
    for (int i = 0; i < 8; i++) pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, pad, padlen + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = c->h[i] >> 24; out[4 * i + 1] = c->h[i] >> 16;
        out[4 * i + 2] = c->h[i] >> 8; out[4 * i + 3] = c->h[i];
    }
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, p, n);
    sha256_final(&c, out);
}

static void hex(char *dst, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) { dst[2 * i] = d[p[i] >> 4]; dst[2 * i + 1] = d[p[i] & 15]; }
    dst[2 * n] = 0;
}

static int unhex(uint8_t *dst, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        dst[i] = (uint8_t)v;
    }
    return 0;
}

/* ------------------------------------------------------------------ PRNG (see afalg_prng.py) */
/* splitmix64 of the seed gives the state of a xorshift64* generator; bytes are drawn 8 at a time,
 * little endian, the last word of a buffer truncated. */
static uint64_t prng_state;

static void prng_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    prng_state = z ? z : 1;
}

static uint64_t prng_next(void)
{
    uint64_t x = prng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    prng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static void prng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = prng_next();
        for (size_t j = 0; j < 8 && i + j < n; j++) p[i + j] = (uint8_t)(v >> (8 * j));
    }
}

typedef struct {
    unsigned keylen, len;
    int enc, inplace;
    uint8_t key[32], iv[16];
} req_params;

/* Must match afalg_prng.py:gen_request exactly. */
static void prng_request(req_params *r, uint8_t *data, unsigned maxblocks)
{
    static const unsigned klens[3] = {16, 24, 32};
    unsigned nblk;
    r->keylen = klens[prng_next() % 3];
    uint64_t sel = prng_next() % 4;
    if (sel == 0)
        nblk = 1 + prng_next() % (maxblocks < 16 ? maxblocks : 16);
    else if (sel == 1)
        nblk = 1 + prng_next() % (maxblocks < 256 ? maxblocks : 256);
    else if (sel == 2)
        nblk = 1 + prng_next() % maxblocks;
    else
        nblk = maxblocks;
    r->len = nblk * 16;
    r->enc = (prng_next() >> 63) == 0;
    r->inplace = (int)(prng_next() >> 63);
    prng_fill(r->key, r->keylen);
    prng_fill(r->iv, 16);
    prng_fill(data, r->len);
}

/* ------------------------------------------------------------------ AF_ALG */
enum { OOP = 0, INPLACE_SPLICE = 1, INPLACE_COPY = 2 };
static const char *method_name[] = {"oop", "inplace-splice", "inplace-copy"};

static int pipefd[2] = {-1, -1};

static int tfm_open(const char *name)
{
    struct sockaddr_alg sa;
    memset(&sa, 0, sizeof sa);
    sa.salg_family = AF_ALG;
    strcpy((char *)sa.salg_type, "skcipher");
    strncpy((char *)sa.salg_name, name, sizeof sa.salg_name - 1);
    int s = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

/* sendmsg carrying ALG_SET_OP and ALG_SET_IV, plus optional data. */
static int send_op(int op, int enc, const uint8_t *iv, const uint8_t *data, size_t len, int flags)
{
    union {
        char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
        struct cmsghdr align;
    } cbuf;
    memset(&cbuf, 0, sizeof cbuf);
    struct iovec iov = {(void *)data, len};
    struct msghdr msg = {0};
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof cbuf.buf;
    if (len) { msg.msg_iov = &iov; msg.msg_iovlen = 1; }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    *(uint32_t *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 16);
    struct af_alg_iv *aiv = (struct af_alg_iv *)CMSG_DATA(c);
    aiv->ivlen = 16;
    memcpy(aiv->iv, iv, 16);
    ssize_t n = sendmsg(op, &msg, flags);
    if (n < 0) return -1;
    if ((size_t)n != len) { errno = EIO; return -1; }
    return 0;
}

static int recv_all(int op, uint8_t *out, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(op, out + done, len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) { errno = EIO; return -1; }
        done += (size_t)n;
    }
    return 0;
}

/* Push the page-aligned user buffer into the op socket by reference (vmsplice + splice). */
static int send_spliced(int op, uint8_t *buf, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        struct iovec iov = {buf + sent, len - sent};
        ssize_t n = vmsplice(pipefd[1], &iov, 1, 0);
        if (n < 0) return -1;
        ssize_t left = n;
        while (left > 0) {
            ssize_t m = splice(pipefd[0], NULL, op, NULL, (size_t)left, SPLICE_F_MORE);
            if (m < 0) return -1;
            if (m == 0) { errno = EIO; return -1; }
            left -= m;
        }
        sent += (size_t)n;
    }
    return 0;
}

/* One cbc(aes) request on a fresh op socket. For INPLACE_* `out` must equal `in`
 * (and be page-aligned for INPLACE_SPLICE). Returns 0 or -1 with errno; *stage names the step. */
static int cipher_req(int tfm, const uint8_t *key, unsigned klen, const uint8_t *iv, int enc,
                      uint8_t *in, uint8_t *out, size_t len, int method, const char **stage)
{
    int op = -1, rc = -1;
    *stage = "setkey";
    if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, klen) < 0) return -1;
    *stage = "accept";
    op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
    if (op < 0) return -1;
    if (method == INPLACE_SPLICE) {
        *stage = "sendmsg(op,iv)";
        if (send_op(op, enc, iv, NULL, 0, MSG_MORE) < 0) goto out;
        *stage = "vmsplice/splice";
        if (send_spliced(op, in, len) < 0) goto out;
        *stage = "sendmsg(end)";
        struct msghdr end = {0};
        if (sendmsg(op, &end, 0) < 0) goto out;
    } else {
        *stage = "sendmsg";
        if (send_op(op, enc, iv, in, len, 0) < 0) goto out;
    }
    *stage = "read";
    if (recv_all(op, out, len) < 0) goto out;
    rc = 0;
out:
    {
        int e = errno;
        close(op);
        errno = e;
    }
    return rc;
}

static void *page_alloc(size_t len)
{
    void *p = mmap(NULL, len ? len : 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(2); }
    return p;
}

static int setup_pipe(void)
{
    if (pipefd[0] >= 0) return 0;
    if (pipe2(pipefd, O_CLOEXEC) < 0) { perror("pipe2"); return -1; }
    /* The whole request must fit in the pipe: 1 MiB is the default pipe-max-size. */
    if (fcntl(pipefd[1], F_SETPIPE_SZ, MAX_LEN) < 0) perror("F_SETPIPE_SZ (in-place limited to 64 KiB)");
    return 0;
}

/* ------------------------------------------------------------------ options */
static const char *alg = DEFAULT_ALG;
static int alg_given = 0, fallback = 0, copy_inplace = 0, verify = 0;
static uint64_t seed = 1;
static unsigned count = 100, maxlen = 65536, bench_size = 4096, bench_keylen = 16;
static double bench_seconds = 3.0;
static unsigned bench_jobs = 1;

static int open_main_tfm(void)
{
    int tfm = tfm_open(alg);
    if (tfm >= 0) return tfm;
    int e = errno;
    if (fallback && !alg_given && strcmp(alg, FALLBACK_ALG) != 0) {
        fprintf(stdout, "ALG bind %s failed (%s); falling back to %s\n", alg, strerror(e), FALLBACK_ALG);
        alg = FALLBACK_ALG;
        tfm = tfm_open(alg);
        if (tfm >= 0) return tfm;
        e = errno;
    }
    fprintf(stdout, "ALG bind skcipher %s failed: %s\n", alg, strerror(e));
    return -1;
}

/* ------------------------------------------------------------------ vectors */
/* NIST SP 800-38A, Appendix F.2 (CBC). F.2.1/3/5 encrypt, F.2.2/4/6 decrypt. */
static const char *NIST_PT =
    "6bc1bee22e409f96e93d7e117393172a" "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef" "f69f2445df4f9b17ad2b417be66c3710";
static const char *NIST_IV = "000102030405060708090a0b0c0d0e0f";
static const struct {
    const char *name, *key, *ct;
} NIST[3] = {
    {"CBC-AES128", "2b7e151628aed2a6abf7158809cf4f3c",
     "7649abac8119b246cee98e9b12e9197d" "5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e22229516" "3ff1caa1681fac09120eca307586e1a7"},
    {"CBC-AES192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "4f021db243bc633d7178183a9fa071e8" "b4d9ada9ad7dedf4e5e738763f69145a"
     "571b242012fb7ae07fa9baac3df102e0" "08b0e27988598881d920a9e64f5615cd"},
    {"CBC-AES256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "f58c4c04d6e5f1ba779eabfb5f7bfbd6" "9cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461" "b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

static int run_vectors(void)
{
    int tfm = open_main_tfm();
    if (tfm < 0) return 2;
    if (setup_pipe() < 0) return 2;
    uint8_t pt[64], ct[64], iv[16], key[32];
    uint8_t *in = page_alloc(4096), *out = page_alloc(4096);
    unhex(pt, NIST_PT, 64);
    unhex(iv, NIST_IV, 16);
    int pass = 0, fail = 0;
    int methods[2] = {OOP, copy_inplace ? INPLACE_COPY : INPLACE_SPLICE};
    for (int v = 0; v < 3; v++) {
        unsigned klen = (unsigned)strlen(NIST[v].key) / 2;
        unhex(key, NIST[v].key, klen);
        unhex(ct, NIST[v].ct, 64);
        for (int enc = 1; enc >= 0; enc--) {
            for (int m = 0; m < 2; m++) {
                const char *stage;
                const uint8_t *src = enc ? pt : ct, *want = enc ? ct : pt;
                uint8_t *dst = methods[m] == OOP ? out : in;
                memcpy(in, src, 64);
                memset(out, 0, 64);
                int r = cipher_req(tfm, key, klen, iv, enc, in, dst, 64, methods[m], &stage);
                int ok = r == 0 && memcmp(dst, want, 64) == 0;
                char gothex[129] = "-";
                if (r == 0) hex(gothex, dst, 64);
                printf("VEC F.2.%d %s.%s %-14s %s", 2 * v + (enc ? 1 : 2), NIST[v].name,
                       enc ? "Encrypt" : "Decrypt", method_name[methods[m]], ok ? "PASS" : "FAIL");
                if (r < 0) printf(" (%s: %s)", stage, strerror(errno));
                else if (!ok) printf(" got %s", gothex);
                printf("\n");
                ok ? pass++ : fail++;
            }
        }
    }
    /* Does the splice path really hand the driver our pages (true in-place)? Splice a buffer of
     * zeros, then write the plaintext into the same user pages before the request is run: if the
     * result is the F.2.1 ciphertext, the TX scatterlist references the user's pages. */
    if (!copy_inplace) {
        int op = -1, alias = -1;
        unhex(key, NIST[0].key, 16);
        unhex(ct, NIST[0].ct, 64);
        memset(in, 0, 64);
        if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, 16) == 0 && (op = accept4(tfm, NULL, 0, SOCK_CLOEXEC)) >= 0 &&
            send_op(op, 1, iv, NULL, 0, MSG_MORE) == 0 && send_spliced(op, in, 64) == 0) {
            struct msghdr end = {0};
            memcpy(in, pt, 64);
            if (sendmsg(op, &end, 0) == 0 && recv_all(op, in, 64) == 0) alias = memcmp(in, ct, 64) == 0;
        }
        if (op >= 0) close(op);
        printf("INPLACE-SPLICE aliasing=%s\n", alias < 0 ? "error" : alias ? "yes (driver src and dst are the same pages)"
                                                                       : "no (pages were copied)");
    }
    printf("VECTORS alg=%s passed=%d failed=%d\n", alg, pass, fail);
    fflush(stdout);
    close(tfm);
    return fail ? 1 : 0;
}

/* ------------------------------------------------------------------ random */
/* REQ <idx> <keyhex> <ivhex> <len> <enc|dec> <sha256(input)> <sha256(output)> (random and deep
 * mode; check_results.py parses it) */
static void print_req(unsigned i, const req_params *r, const uint8_t *in, const uint8_t *out)
{
    uint8_t hin[32], hout[32];
    char keyhex[65], ivhex[33], hinhex[65], houthex[65];
    sha256(in, r->len, hin);
    sha256(out, r->len, hout);
    hex(keyhex, r->key, r->keylen);
    hex(ivhex, r->iv, 16);
    hex(hinhex, hin, 32);
    hex(houthex, hout, 32);
    printf("REQ %u %s %s %u %s %s %s\n", i, keyhex, ivhex, r->len, r->enc ? "enc" : "dec", hinhex, houthex);
}

static int run_random(void)
{
    int tfm = open_main_tfm();
    if (tfm < 0) return 2;
    int ref = -1;
    if (verify) {
        ref = tfm_open(REF_ALG);
        if (ref < 0) {
            printf("ALG bind skcipher %s failed (%s): in-guest verification off\n", REF_ALG, strerror(errno));
            verify = 0;
        }
    }
    if (setup_pipe() < 0) return 2;
    if (maxlen < 16 || maxlen > MAX_LEN || maxlen % 16) {
        fprintf(stderr, "maxlen must be a multiple of 16 in [16, %u]\n", MAX_LEN);
        return 2;
    }
    unsigned maxblocks = maxlen / 16;
    uint8_t *data = page_alloc(maxlen), *buf = page_alloc(maxlen), *out = page_alloc(maxlen);
    uint8_t *refout = page_alloc(maxlen);
    printf("RANDOM seed=%" PRIu64 " count=%u maxlen=%u alg=%s inplace=%s\n", seed, count, maxlen, alg,
           copy_inplace ? "copy" : "splice");
    fflush(stdout);
    prng_seed(seed);
    unsigned errors = 0, verified = 0, mismatches = 0;
    for (unsigned i = 0; i < count; i++) {
        req_params r;
        prng_request(&r, data, maxblocks);
        int method = r.inplace ? (copy_inplace ? INPLACE_COPY : INPLACE_SPLICE) : OOP;
        memcpy(buf, data, r.len);
        uint8_t *dst = method == OOP ? out : buf;
        const char *stage;
        if (cipher_req(tfm, r.key, r.keylen, r.iv, r.enc, buf, dst, r.len, method, &stage) < 0) {
            printf("REQ-ERROR %u %s %s: %s\n", i, method_name[method], stage, strerror(errno));
            errors++;
            fflush(stdout);
            continue;
        }
        print_req(i, &r, data, dst);
        if (verify) {
            if (cipher_req(ref, r.key, r.keylen, r.iv, r.enc, data, refout, r.len, OOP, &stage) < 0) {
                printf("REF-ERROR %u %s: %s\n", i, stage, strerror(errno));
                errors++;
            } else {
                verified++;
                if (memcmp(refout, dst, r.len) != 0) {
                    size_t k = 0;
                    while (refout[k] == dst[k]) k++;
                    printf("REQ-MISMATCH %u %s first differing byte %zu (block %zu)\n", i,
                           method_name[method], k, k / 16);
                    mismatches++;
                }
            }
        }
        fflush(stdout);
    }
    printf("RANDOM-DONE count=%u errors=%u verified=%u mismatches=%u\n", count, errors, verified, mismatches);
    fflush(stdout);
    return (errors || mismatches) ? 1 : 0;
}

/* ------------------------------------------------------------------ deep */
/* Linux AIO through raw system calls (the static binary has no libaio). */
static long sys_io_setup(unsigned n, aio_context_t *ctx) { return syscall(SYS_io_setup, n, ctx); }
static long sys_io_submit(aio_context_t ctx, long n, struct iocb **v) { return syscall(SYS_io_submit, ctx, n, v); }
static long sys_io_getevents(aio_context_t ctx, long lo, long hi, struct io_event *ev)
{
    struct timespec t = {120, 0};
    return syscall(SYS_io_getevents, ctx, lo, hi, ev, &t);
}

/* The random-mode request sequence with every request on ONE key (request 0's: one tfm, so
 * the device holds one session pair, not one per request), run in waves of `deep_inflight`
 * requests that are all in flight at once: one op socket each, its data sent with sendmsg,
 * then one asynchronous read (IOCB_CMD_PREAD) per socket submitted together. More requests
 * than the virtqueue has slots (QEMU: 1024) make virtqueue_add_sgs fail with -ENOSPC inside
 * the driver, and crypto_engine retries them: the driver's retry path is what this exercises.
 * Out of place only. REQ lines as in random mode; with -V each output is compared with
 * cbc(aes-generic), and a decrypt output that is right except for its first block, which is
 * exactly what decryption with the IV replaced by the last ciphertext block gives, is printed
 * as REQ-IVBUG: Linux 6.1's virtio_crypto overwrites req->iv with that block before
 * virtqueue_add_sgs and does not restore it when the add fails (a guest-driver defect). */
static unsigned deep_inflight = 1500;

static int run_deep(void)
{
    int tfm = open_main_tfm();
    if (tfm < 0) return 2;
    int ref = -1;
    if (verify && (ref = tfm_open(REF_ALG)) < 0) {
        printf("ALG bind skcipher %s failed (%s): in-guest verification off\n", REF_ALG, strerror(errno));
        verify = 0;
    }
    if (maxlen < 16 || maxlen > MAX_LEN || maxlen % 16 || deep_inflight < 1 || deep_inflight > 16384) {
        fprintf(stderr, "maxlen: a multiple of 16 in [16, %u]; inflight: 1..16384\n", MAX_LEN);
        return 2;
    }
    struct rlimit rl = {deep_inflight + 64, deep_inflight + 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) { perror("setrlimit(RLIMIT_NOFILE)"); return 2; }
    aio_context_t ctx = 0;
    if (sys_io_setup(deep_inflight, &ctx) < 0) { perror("io_setup"); return 2; }
    unsigned wave = deep_inflight < count ? deep_inflight : count;
    req_params *rq = calloc(wave, sizeof *rq);
    uint8_t **in = calloc(wave, sizeof *in), **out = calloc(wave, sizeof *out);
    int *ops = calloc(wave, sizeof *ops);
    struct iocb *cbs = calloc(wave, sizeof *cbs), **cbp = calloc(wave, sizeof *cbp);
    struct io_event *evs = calloc(wave, sizeof *evs);
    long *res = calloc(wave, sizeof *res);
    unsigned *pend = calloc(wave, sizeof *pend);
    uint8_t *refout = page_alloc(maxlen);
    if (!rq || !in || !out || !ops || !cbs || !cbp || !evs || !res || !pend) { perror("calloc"); return 2; }
    for (unsigned k = 0; k < wave; k++) {
        ops[k] = -1;
        in[k] = page_alloc(maxlen);
        out[k] = page_alloc(maxlen);
    }
    printf("DEEP seed=%" PRIu64 " count=%u maxlen=%u alg=%s inflight=%u\n", seed, count, maxlen, alg, wave);
    fflush(stdout);
    prng_seed(seed);
    uint8_t key[32];
    unsigned keylen = 0;
    unsigned errors = 0, verified = 0, mismatches = 0, ivbug = 0, resent = 0;
    for (unsigned base = 0; base < count; base += wave) {
        unsigned n = count - base < wave ? count - base : wave;
        for (unsigned k = 0; k < n; k++) {
            prng_request(&rq[k], in[k], maxlen / 16);
            if (base + k == 0) {
                keylen = rq[0].keylen;
                memcpy(key, rq[0].key, keylen);
                if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen) < 0) { perror("setkey"); return 2; }
            }
            rq[k].keylen = keylen;
            memcpy(rq[k].key, key, keylen);
        }
        /* every request's op socket and data first, then all the reads at once; a read that
         * ends in -ENOSPC (crypto_engine's queue full: AF_ALG's asynchronous requests may not
         * backlog) is sent again on a new socket, as an application must */
        unsigned todo = n;
        for (unsigned k = 0; k < n; k++) pend[k] = k;
        for (unsigned round = 0; todo && round < 1000; round++) {
            unsigned sent = 0, submitted = 0, reaped = 0;
            for (unsigned j = 0; j < todo; j++) {
                unsigned k = pend[j];
                res[k] = -EINPROGRESS;
                if (ops[k] >= 0) close(ops[k]);
                ops[k] = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
                if (ops[k] < 0 || send_op(ops[k], rq[k].enc, rq[k].iv, in[k], rq[k].len, 0) < 0) {
                    res[k] = -errno;
                    continue;
                }
                memset(&cbs[k], 0, sizeof cbs[k]);
                cbs[k].aio_data = k;
                cbs[k].aio_lio_opcode = IOCB_CMD_PREAD;
                cbs[k].aio_fildes = (uint32_t)ops[k];
                cbs[k].aio_buf = (uint64_t)(uintptr_t)out[k];
                cbs[k].aio_nbytes = rq[k].len;
                cbp[sent++] = &cbs[k];
            }
            while (submitted < sent) {
                long r = sys_io_submit(ctx, (long)(sent - submitted), cbp + submitted);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    perror("io_submit");
                    for (unsigned j = submitted; j < sent; j++) res[cbp[j]->aio_data] = r < 0 ? -errno : -EIO;
                    break;
                }
                submitted += (unsigned)r;
            }
            while (reaped < submitted) {
                long r = sys_io_getevents(ctx, 1, (long)(submitted - reaped), evs);
                if (r <= 0) {
                    printf("DEEP-ERROR io_getevents: %s after %u of %u\n", r < 0 ? strerror(errno) : "timeout",
                           reaped, submitted);
                    return 1;
                }
                for (long j = 0; j < r; j++) res[evs[j].data] = evs[j].res;
                reaped += (unsigned)r;
            }
            unsigned again = 0;
            for (unsigned j = 0; j < todo; j++)
                if (res[pend[j]] == -ENOSPC) pend[again++] = pend[j];
            resent += again;
            todo = again;
        }
        for (unsigned k = 0; k < n; k++) {
            unsigned i = base + k;
            req_params *r = &rq[k];
            if (ops[k] >= 0) close(ops[k]);
            ops[k] = -1;
            if (res[k] != (long)r->len) {
                printf("REQ-ERROR %u deep read: %s\n", i, res[k] < 0 ? strerror((int)-res[k]) : "short read");
                errors++;
                continue;
            }
            print_req(i, r, in[k], out[k]);
            if (!verify) continue;
            const char *stage;
            if (cipher_req(ref, r->key, r->keylen, r->iv, r->enc, in[k], refout, r->len, OOP, &stage) < 0) {
                printf("REF-ERROR %u %s: %s\n", i, stage, strerror(errno));
                errors++;
                continue;
            }
            verified++;
            if (memcmp(refout, out[k], r->len) == 0) continue;
            /* the driver's retried decrypt: IV' = last ciphertext block, so block 0 differs by IV ^ IV' */
            int bug = !r->enc && memcmp(refout + 16, out[k] + 16, r->len - 16) == 0;
            for (unsigned b = 0; bug && b < 16; b++)
                bug = out[k][b] == (uint8_t)(refout[b] ^ r->iv[b] ^ in[k][r->len - 16 + b]);
            if (bug) {
                printf("REQ-IVBUG %u dec %u B: block 0 decrypted with the last ciphertext block as IV\n", i, r->len);
                ivbug++;
            } else {
                size_t d = 0;
                while (refout[d] == out[k][d]) d++;
                printf("REQ-MISMATCH %u oop first differing byte %zu (block %zu)\n", i, d, d / 16);
                mismatches++;
            }
        }
        fflush(stdout);
    }
    printf("DEEP-DONE count=%u errors=%u verified=%u mismatches=%u ivbug=%u resent_after_enospc=%u\n", count, errors,
           verified, mismatches, ivbug, resent);
    fflush(stdout);
    syscall(SYS_io_destroy, ctx);
    if (ref >= 0) close(ref);
    close(tfm);
    return (errors || mismatches) ? 1 : 0;
}

/* Host-side self-check of the PRNG: print the request sequence without any crypto. */
static int run_gen(void)
{
    if (maxlen < 16 || maxlen > MAX_LEN || maxlen % 16) return 2;
    uint8_t *data = page_alloc(maxlen);
    prng_seed(seed);
    for (unsigned i = 0; i < count; i++) {
        req_params r;
        uint8_t h[32];
        char keyhex[65], ivhex[33], hhex[65];
        prng_request(&r, data, maxlen / 16);
        sha256(data, r.len, h);
        hex(keyhex, r.key, r.keylen);
        hex(ivhex, r.iv, 16);
        hex(hhex, h, 32);
        printf("GEN %u %s %s %u %s %d %s\n", i, keyhex, ivhex, r.len, r.enc ? "enc" : "dec", r.inplace, hhex);
    }
    return 0;
}

/* ------------------------------------------------------------------ bench */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One stream: its own tfm and op sockets, synchronous send/recv for bench_seconds. Returns the
 * number of requests done, or -1 (message printed). */
static int64_t bench_stream(unsigned stream)
{
    int tfm = open_main_tfm();
    if (tfm < 0) return -1;
    uint8_t key[32], iv[16];
    prng_seed(seed);
    prng_fill(key, sizeof key);
    prng_fill(iv, sizeof iv);
    uint8_t *in = page_alloc(bench_size), *out = page_alloc(bench_size);
    prng_fill(in, bench_size);
    in[0] ^= (uint8_t)stream;
    if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, bench_keylen) < 0) { perror("setkey"); return -1; }
    int op = accept4(tfm, NULL, 0, SOCK_CLOEXEC);
    if (op < 0) { perror("accept"); return -1; }
    int64_t reqs = 0;
    double t0 = now(), t = t0;
    while (t - t0 < bench_seconds) {
        if (send_op(op, 1, iv, in, bench_size, 0) < 0 || recv_all(op, out, bench_size) < 0) {
            printf("BENCH-ERROR stream %u after %" PRId64 " requests: %s\n", stream, reqs, strerror(errno));
            return -1;
        }
        reqs++;
        t = now();
    }
    close(op);
    close(tfm);
    return reqs;
}

/* -j JOBS: that many streams in parallel processes (several requests in flight on the device,
 * as with several users of the driver); totals over all of them. */
static int run_bench(void)
{
    if (bench_size < 16 || bench_size % 16 || bench_size > MAX_LEN) {
        fprintf(stderr, "size must be a multiple of 16 in [16, %u]\n", MAX_LEN);
        return 2;
    }
    if (bench_keylen != 16 && bench_keylen != 24 && bench_keylen != 32) {
        fprintf(stderr, "keylen must be 16, 24 or 32\n");
        return 2;
    }
    if (bench_jobs < 1 || bench_jobs > 64) {
        fprintf(stderr, "jobs must be in [1, 64]\n");
        return 2;
    }
    int fds[64][2];
    pid_t pids[64];
    double t0 = now();
    for (unsigned j = 0; j < bench_jobs; j++) {
        if (pipe(fds[j]) < 0) { perror("pipe"); return 2; }
        pids[j] = fork();
        if (pids[j] < 0) { perror("fork"); return 2; }
        if (pids[j] == 0) {
            int64_t n = bench_stream(j);
            if (write(fds[j][1], &n, sizeof n) != sizeof n) _exit(3);
            _exit(n < 0);
        }
        close(fds[j][1]);
    }
    int64_t reqs = 0;
    int failed = 0;
    for (unsigned j = 0; j < bench_jobs; j++) {
        int64_t n = -1;
        int st = 0;
        if (read(fds[j][0], &n, sizeof n) != sizeof n) n = -1;
        close(fds[j][0]);
        waitpid(pids[j], &st, 0);
        if (n < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) failed = 1;
        else reqs += n;
    }
    if (failed) return 1;
    double el = now() - t0, bytes = (double)reqs * bench_size;
    printf("BENCH alg=%s keylen=%u size=%u jobs=%u seconds=%.3f requests=%" PRId64 " bytes=%.0f "
           "bytes/s=%.0f MB/s=%.2f req/s=%.1f\n",
           alg, bench_keylen * 8, bench_size, bench_jobs, el, reqs, bytes, bytes / el, bytes / el / 1e6, reqs / el);
    fflush(stdout);
    return 0;
}

/* ------------------------------------------------------------------ main */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: afalg_test [options] vectors|random|deep|bench|gen\n"
            "  -a NAME   skcipher to bind (default %s)\n"
            "  -f        if binding %s fails, fall back to %s\n"
            "  -c        in-place = same user buffer for write/read (default: vmsplice, same pages)\n"
            "  -s SEED   random/deep/bench seed (default 1)\n"
            "  -n COUNT  random/deep: number of requests (default 100)\n"
            "  -m MAXLEN random/deep: largest request, multiple of 16 (default 65536)\n"
            "  -V        random/deep: also check every output against %s in the guest\n"
            "  -z SIZE   bench: request size in bytes (default 4096)\n"
            "  -t SECS   bench: duration (default 3)\n"
            "  -k BYTES  bench: key length 16|24|32 (default 16)\n"
            "  -j JOBS   bench: parallel streams, each its own process and socket (default 1)\n"
            "  -w N      deep: requests in flight at once, one op socket and one AIO read each (default 1500)\n",
            DEFAULT_ALG, DEFAULT_ALG, FALLBACK_ALG, REF_ALG);
}

int main(int argc, char **argv)
{
    int o;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((o = getopt(argc, argv, "a:fcs:n:m:Vz:t:k:j:w:h")) != -1) {
        switch (o) {
        case 'a': alg = optarg; alg_given = 1; break;
        case 'f': fallback = 1; break;
        case 'c': copy_inplace = 1; break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'n': count = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'm': maxlen = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'V': verify = 1; break;
        case 'z': bench_size = (unsigned)strtoul(optarg, NULL, 0); break;
        case 't': bench_seconds = strtod(optarg, NULL); break;
        case 'k': bench_keylen = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'j': bench_jobs = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'w': deep_inflight = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) { usage(stderr); return 2; }
    const char *mode = argv[optind];
    if (!strcmp(mode, "vectors")) return run_vectors();
    if (!strcmp(mode, "random")) return run_random();
    if (!strcmp(mode, "bench")) return run_bench();
    if (!strcmp(mode, "gen")) return run_gen();
    if (!strcmp(mode, "deep")) return run_deep();
    usage(stderr);
    return 2;
}
