// sc-sites: check the inline static call site tables (.static_call_sites,
// .static_call_routes) of arm64 vmlinux.o, modules and vmlinux against the code.
#include "sites.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace scsites;

static void usage(FILE *f) {
    std::fprintf(
        f,
        "usage: sc-sites [-v|--verbose] [-m|--module] [--] FILE...\n"
        "       sc-sites [-v|--verbose] --runtime DUMP VMLINUX\n"
        "  FILE          arm64 vmlinux.o or module .ko (relocatable), or vmlinux\n"
        "  -v            list every call site\n"
        "  -m, --module  accept key fields naming the trampoline __SCT__<name> in\n"
        "                relocatable files (implied for files named *.ko)\n"
        "  --runtime     check a guest's dump of its sites (console log with lines\n"
        "                `SCDUMP stext <_stext>`, `SCDUMP site <addr> <insn> <key> <func>\n"
        "                <tail>`, `SCDUMP end <count>`, lowercase hex) against VMLINUX\n"
        "exit status: %d no discrepancy, %d a discrepancy, %d unreadable file, malformed "
        "dump or usage error\n",
        kExitClean, kExitDiscrepancy, kExitError);
}

int main(int argc, char **argv) {
    bool verbose = false;
    bool runtime = false;
    Options options;
    std::vector<std::string> files;
    bool opts_done = false;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || !a[1])
            files.push_back(a);
        else if (!std::strcmp(a, "--"))
            opts_done = true;
        else if (!std::strcmp(a, "-v") || !std::strcmp(a, "--verbose"))
            verbose = true;
        else if (!std::strcmp(a, "-m") || !std::strcmp(a, "--module"))
            options.module = true;
        else if (!std::strcmp(a, "--runtime"))
            runtime = true;
        else if (!std::strcmp(a, "-h") || !std::strcmp(a, "--help")) {
            usage(stdout);
            return kExitClean;
        } else {
            std::fprintf(stderr, "sc-sites: unknown option %s\n", a);
            usage(stderr);
            return kExitError;
        }
    }
    if (runtime) {
        if (files.size() != 2 || options.module) {
            std::fprintf(stderr, "sc-sites: --runtime takes DUMP and VMLINUX%s\n",
                         options.module ? " (and no --module)" : "");
            usage(stderr);
            return kExitError;
        }
        auto r = check_runtime(files[0], files[1]);
        if (!r) {
            std::fprintf(stderr, "sc-sites: %s\n", r.error().c_str());
            return kExitError;
        }
        print_runtime_report(*r, stdout, verbose);
        return r->clean() ? kExitClean : kExitDiscrepancy;
    }
    if (files.empty()) {
        usage(stderr);
        return kExitError;
    }
    int rc = kExitClean;
    for (const auto &f : files) {
        auto r = check(f, options);
        if (!r) {
            std::fprintf(stderr, "sc-sites: %s\n", r.error().c_str());
            rc = std::max(rc, kExitError);
            continue;
        }
        print_report(*r, stdout, verbose);
        if (!r->clean())
            rc = std::max(rc, kExitDiscrepancy);
    }
    return rc;
}
