{
  "targets": [
    {
      "target_name": "tsip_tun",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/tun.c"],
          "defines": ["NAPI_VERSION=8"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
        }]
      ]
    }
  ]
}
