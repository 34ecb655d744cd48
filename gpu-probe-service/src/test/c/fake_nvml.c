/*
 * A stand-in for the driver's libnvidia-ml.so with the real NVML signatures, for tests without a GPU.
 *
 * What it reports comes from a text file beside the library: "<path of this .so>.conf", found with dladdr()
 * so that every copy of the library (one per test) reads its own file. The file is read again by
 * nvmlInit_v2() and by nvmlDeviceGetCount_v2(), so a test can change the GPUs while the service runs.
 * One "key=value" per line:
 *
 *   init=<nvmlReturn_t>                      what nvmlInit_v2 returns (default 0)
 *   driver_version=550.54.15
 *   cuda_version=12040                      as nvmlSystemGetCudaDriverVersion_v2 reports it
 *   count=<n>
 *   gpu.<i>.uuid=GPU-...                     gpu.<i>.name=<UTF-8 bytes>
 *   gpu.<i>.memory=<total>,<free>,<used>     bytes
 *   gpu.<i>.utilization=<gpu>,<memory>       percent
 *   gpu.<i>.temperature=<celsius>            gpu.<i>.power=<milliwatts>
 *   gpu.<i>.processes=<pid>:<bytes>,...      bytes "na" = NVML_VALUE_NOT_AVAILABLE
 *   gpu.<i>.fail.<call>=<nvmlReturn_t>       make one call fail for that GPU; <call> is one of
 *                                            handle, uuid, name, memory, utilization, temperature, power,
 *                                            processes
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_UNKNOWN 999
#define NVML_TEMPERATURE_GPU 0
#define NVML_VALUE_NOT_AVAILABLE (~0ULL)

#define MAX_GPUS 16
#define MAX_PROCESSES 32

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

enum call { C_HANDLE, C_UUID, C_NAME, C_MEMORY, C_UTILIZATION, C_TEMPERATURE, C_POWER, C_PROCESSES, C_COUNT };
static const char *CALLS[C_COUNT] = {
    "handle", "uuid", "name", "memory", "utilization", "temperature", "power", "processes"
};

struct fake_gpu {
    char uuid[96];
    char name[96];
    nvmlMemory_t memory;
    nvmlUtilization_t utilization;
    unsigned int temperature;
    unsigned int power_mw;
    unsigned int process_count;
    nvmlProcessInfo_t processes[MAX_PROCESSES];
    nvmlReturn_t fail[C_COUNT];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static nvmlReturn_t init_result;
static char driver_version[80];
static int cuda_version;
static unsigned int gpu_count;
static struct fake_gpu gpus[MAX_GPUS];

static void config_path(char *out, size_t size) {
    Dl_info info;
    out[0] = '\0';
    if (dladdr((void *) &config_path, &info) && info.dli_fname != NULL) {
        snprintf(out, size, "%s.conf", info.dli_fname);
    }
}

static void parse_processes(struct fake_gpu *gpu, char *value) {
    gpu->process_count = 0;
    for (char *item = strtok(value, ","); item != NULL && gpu->process_count < MAX_PROCESSES;
         item = strtok(NULL, ",")) {
        char *colon = strchr(item, ':');
        if (colon == NULL) {
            continue;
        }
        *colon = '\0';
        nvmlProcessInfo_t *p = &gpu->processes[gpu->process_count++];
        p->pid = (unsigned int) strtoul(item, NULL, 10);
        p->usedGpuMemory = strcmp(colon + 1, "na") == 0 ? NVML_VALUE_NOT_AVAILABLE : strtoull(colon + 1, NULL, 10);
        p->gpuInstanceId = 0xFFFFFFFFu;
        p->computeInstanceId = 0xFFFFFFFFu;
    }
}

static void apply_gpu_key(struct fake_gpu *gpu, const char *key, char *value) {
    if (strcmp(key, "uuid") == 0) {
        snprintf(gpu->uuid, sizeof gpu->uuid, "%s", value);
    } else if (strcmp(key, "name") == 0) {
        snprintf(gpu->name, sizeof gpu->name, "%s", value);
    } else if (strcmp(key, "memory") == 0) {
        sscanf(value, "%llu,%llu,%llu", &gpu->memory.total, &gpu->memory.free, &gpu->memory.used);
    } else if (strcmp(key, "utilization") == 0) {
        sscanf(value, "%u,%u", &gpu->utilization.gpu, &gpu->utilization.memory);
    } else if (strcmp(key, "temperature") == 0) {
        gpu->temperature = (unsigned int) strtoul(value, NULL, 10);
    } else if (strcmp(key, "power") == 0) {
        gpu->power_mw = (unsigned int) strtoul(value, NULL, 10);
    } else if (strcmp(key, "processes") == 0) {
        parse_processes(gpu, value);
    } else if (strncmp(key, "fail.", 5) == 0) {
        for (int c = 0; c < C_COUNT; c++) {
            if (strcmp(key + 5, CALLS[c]) == 0) {
                gpu->fail[c] = (nvmlReturn_t) strtol(value, NULL, 10);
            }
        }
    }
}

/* Reads the configuration file; without one the stand-in behaves like a machine without the driver. */
static void load_config(void) {
    char path[4096];
    char line[1024];
    config_path(path, sizeof path);
    memset(gpus, 0, sizeof gpus);
    gpu_count = 0;
    init_result = NVML_SUCCESS;
    snprintf(driver_version, sizeof driver_version, "%s", "0.0");
    cuda_version = 0;
    FILE *in = path[0] ? fopen(path, "r") : NULL;
    if (in == NULL) {
        init_result = NVML_ERROR_DRIVER_NOT_LOADED;
        return;
    }
    while (fgets(line, sizeof line, in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || eq == NULL) {
            continue;
        }
        *eq = '\0';
        char *key = line;
        char *value = eq + 1;
        if (strcmp(key, "init") == 0) {
            init_result = (nvmlReturn_t) strtol(value, NULL, 10);
        } else if (strcmp(key, "driver_version") == 0) {
            snprintf(driver_version, sizeof driver_version, "%s", value);
        } else if (strcmp(key, "cuda_version") == 0) {
            cuda_version = (int) strtol(value, NULL, 10);
        } else if (strcmp(key, "count") == 0) {
            unsigned long n = strtoul(value, NULL, 10);
            gpu_count = n > MAX_GPUS ? MAX_GPUS : (unsigned int) n;
        } else if (strncmp(key, "gpu.", 4) == 0) {
            char *end;
            unsigned long index = strtoul(key + 4, &end, 10);
            if (*end == '.' && index < MAX_GPUS) {
                apply_gpu_key(&gpus[index], end + 1, value);
            }
        }
    }
    fclose(in);
}

/* Copies a string the way NVML does: INSUFFICIENT_SIZE when it does not fit with its terminator. */
static nvmlReturn_t copy_string(const char *value, char *out, unsigned int length) {
    if (out == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (strlen(value) + 1 > length) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    memcpy(out, value, strlen(value) + 1);
    return NVML_SUCCESS;
}

static nvmlReturn_t check_device(nvmlDevice_t device, enum call call) {
    if (!initialized) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (device < gpus || device >= gpus + gpu_count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    return device->fail[call];
}

nvmlReturn_t nvmlInit_v2(void) {
    pthread_mutex_lock(&lock);
    load_config();
    nvmlReturn_t result = init_result;
    if (result == NVML_SUCCESS) {
        initialized++;
    }
    pthread_mutex_unlock(&lock);
    return result;
}

nvmlReturn_t nvmlShutdown(void) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t result = initialized ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
    if (initialized) {
        initialized--;
    }
    pthread_mutex_unlock(&lock);
    return result;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return initialized ? copy_string(driver_version, version, length) : NVML_ERROR_UNINITIALIZED;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) {
    if (!initialized) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (version == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *version = cuda_version;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version) {
    return nvmlSystemGetCudaDriverVersion_v2(version);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialized) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (count == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&lock);
    load_config();
    *count = gpu_count;
    pthread_mutex_unlock(&lock);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!initialized) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (device == NULL || index >= gpu_count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpus[index].fail[C_HANDLE] != NVML_SUCCESS) {
        return gpus[index].fail[C_HANDLE];
    }
    *device = &gpus[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    nvmlReturn_t r = check_device(device, C_UUID);
    return r != NVML_SUCCESS ? r : copy_string(device->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    nvmlReturn_t r = check_device(device, C_NAME);
    return r != NVML_SUCCESS ? r : copy_string(device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    nvmlReturn_t r = check_device(device, C_MEMORY);
    if (r == NVML_SUCCESS) {
        if (memory == NULL) {
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        *memory = device->memory;
    }
    return r;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    nvmlReturn_t r = check_device(device, C_UTILIZATION);
    if (r == NVML_SUCCESS) {
        if (utilization == NULL) {
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        *utilization = device->utilization;
    }
    return r;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) {
    nvmlReturn_t r = check_device(device, C_TEMPERATURE);
    if (r == NVML_SUCCESS) {
        if (temp == NULL || sensor != NVML_TEMPERATURE_GPU) {
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        *temp = device->temperature;
    }
    return r;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    nvmlReturn_t r = check_device(device, C_POWER);
    if (r == NVML_SUCCESS) {
        if (power == NULL) {
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        *power = device->power_mw;
    }
    return r;
}

/* NVML's two-call protocol: a too-small buffer (or NULL) gets INSUFFICIENT_SIZE and the count needed. */
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *count,
                                                     nvmlProcessInfo_t *infos) {
    nvmlReturn_t r = check_device(device, C_PROCESSES);
    if (r != NVML_SUCCESS) {
        return r;
    }
    if (count == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (*count < device->process_count || (infos == NULL && device->process_count > 0)) {
        *count = device->process_count;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    *count = device->process_count;
    if (device->process_count > 0) {
        memcpy(infos, device->processes, device->process_count * sizeof(nvmlProcessInfo_t));
    }
    return NVML_SUCCESS;
}
