"""gem5's m5.defines: `buildEnv`, the build configuration scripts read.

simobjs is an x86 build with the KVM CPU and without Ruby, SystemC, protobuf,
HDF5, PNG, TUN/TAP or the GPU: each of gem5 v24's Kconfig options is here with
the value such a gem5 build would have. TARGET_ISA (gone since gem5 v23) is
kept for older scripts that still read it. As in a gem5 build without Ruby,
there is no PROTOCOL key; reading it (configs/ruby/Ruby.py does, for se.py's
--ruby) raises a KeyError that says Ruby is not modelled.
"""

from simobjs.errors import ConfigError, Problem


class NoRubyError(ConfigError, KeyError):
    """`buildEnv["PROTOCOL"]`: simobjs has no Ruby, hence no coherence protocol."""

    def __str__(self) -> str:
        return ConfigError.__str__(self)


class _BuildEnv(dict):
    def __missing__(self, key):
        if key == "PROTOCOL":
            raise NoRubyError(
                Problem(
                    "buildEnv",
                    "Ruby is not modelled by simobjs (buildEnv['RUBY'] is False), so there "
                    "is no coherence protocol: use gem5's classic caches (se.py: --caches, "
                    "--l2cache)",
                    param="PROTOCOL",
                )
            )
        raise KeyError(key)


buildEnv: dict[str, bool | int | str] = _BuildEnv(
    {
        # ISA
        "BUILD_ISA": True,
        "USE_X86_ISA": True,
        "USE_ARM_ISA": False,
        "USE_MIPS_ISA": False,
        "USE_POWER_ISA": False,
        "USE_RISCV_ISA": False,
        "USE_SPARC_ISA": False,
        "USE_ARM_FASTMODEL": False,
        "TARGET_ISA": "x86",
        "TARGET_GPU_ISA": "",
        "VEGA_GPU_ISA": False,
        "BUILD_GPU": False,
        # KVM
        "HAVE_KVM": True,
        "KVM_ISA": "x86",
        "USE_KVM": True,
        # Ruby (not modelled)
        "RUBY": False,
        "NEED_PARTIAL_FUNC_READS": False,
        "SLICC_HTML": False,
        "NUMBER_BITS_PER_SET": 0,
        "RUBY_PROTOCOL_MESI_TWO_LEVEL": False,
        "RUBY_PROTOCOL_MESI_THREE_LEVEL": False,
        "RUBY_PROTOCOL_MESI_THREE_LEVEL_HTM": False,
        "RUBY_PROTOCOL_MI_EXAMPLE": False,
        "RUBY_PROTOCOL_MOESI_CMP_DIRECTORY": False,
        "RUBY_PROTOCOL_MOESI_CMP_TOKEN": False,
        "RUBY_PROTOCOL_MOESI_HAMMER": False,
        "RUBY_PROTOCOL_MOESI_AMD_BASE": False,
        "RUBY_PROTOCOL_GARNET_STANDALONE": False,
        "RUBY_PROTOCOL_GPU_VIPER": False,
        "RUBY_PROTOCOL_CHI": False,
        "RUBY_PROTOCOL_MSI": False,
        # host libraries and features
        "HAVE_FENV": True,
        "HAVE_POSIX_CLOCK": True,
        "USE_POSIX_CLOCK": True,
        "HAVE_DEPRECATED_NAMESPACE": True,
        "HAVE_PNG": False,
        "HAVE_VALGRIND": False,
        "HAVE_HDF5": False,
        "HAVE_CAPSTONE": False,
        "USE_CAPSTONE": False,
        "HAVE_PROTOBUF": False,
        "HAVE_TUNTAP": False,
        "HAVE_SYSTEMC": False,
        "USE_SYSTEMC": False,
        "USE_TEST_OBJECTS": False,
        "USE_EFENCE": False,
        # build machinery
        "BATCH": False,
        "BATCH_CMD": "",
        "M5_BUILD_CACHE": "",
    }
)
