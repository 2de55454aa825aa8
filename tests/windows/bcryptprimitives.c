/* A test fixture, never shipped: Wine 8 (Debian 12) has no bcryptprimitives.dll, whose
 * ProcessPrng Rust's standard library calls for random bytes on Windows 10 and later.
 * This DLL gives Wine one that forwards to advapi32's RtlGenRandom (SystemFunction036),
 * which Wine has. scripts/test builds it with mingw-w64 into the test Wine prefix. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
