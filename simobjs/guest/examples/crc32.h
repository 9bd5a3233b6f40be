/* CRC-32 (IEEE 802.3, as zlib's crc32): no SDK dependency, builds natively too. */
#ifndef CRC32_H
#define CRC32_H
unsigned int crc32_update(unsigned int crc, const unsigned char *buf, unsigned long len);
void fill_pattern(unsigned char *buf, unsigned long len, unsigned int seed);
#endif
