"""Small, hand-checkable Hub fixtures for pipeline tests."""

from tests.fakes.fake_hub import make_model

MODELS = [
    make_model(
        "Qwen/Qwen3-8B-Base",
        downloads=100,
        downloads_all_time=1000,
        likes=5,
        tags=["transformers", "safetensors", "text-generation"],
        pipeline_tag="text-generation",
    ),
    make_model(
        "Qwen/Qwen3-8B",
        downloads=300,
        downloads_all_time=2000,
        likes=50,
        created_at="2025-04-27T03:40:08.000Z",
        tags=["transformers", "base_model:Qwen/Qwen3-8B-Base", "base_model:finetune:Qwen/Qwen3-8B-Base"],
        pipeline_tag="text-generation",
        library_name="transformers",
    ),
    make_model(
        "Qwen/Qwen3-8B-GGUF",
        downloads=50,
        downloads_all_time=400,
        created_at="2025-05-01T00:00:00.000Z",
        tags=["gguf", "base_model:quantized:Qwen/Qwen3-8B"],
    ),
    make_model(
        "Qwen/Qwen2.5-7B-Instruct", downloads=250, downloads_all_time=5000, created_at="2024-09-16T11:55:40.000Z"
    ),
    make_model("Qwen/QwQ-32B", downloads=20, downloads_all_time=600, created_at="2025-03-05T00:00:00.000Z"),
    make_model(
        "meta-llama/Llama-3.1-8B-Instruct",
        downloads=400,
        downloads_all_time=9000,
        gated="manual",
        created_at="2024-07-18T08:56:00.000Z",
    ),
    make_model("meta-llama/Llama-3.2-1B", downloads=100, downloads_all_time=1000, gated="manual"),
    make_model("google/gemma-3-4b-it", downloads=200, downloads_all_time=700, gated="auto"),
    make_model("google/t5-base", downloads=999999, downloads_all_time=999999),  # not Gemma: never counted
]
CHILDREN = {
    "Qwen/Qwen3-8B-Base": {"finetune": 328, "adapter": 716, "quantized": 190, "merge": 19},
    "meta-llama/Llama-3.1-8B-Instruct": 1234,
}
# By hand, from MODELS: family -> (all-time, 30-day, n_models)
EXPECTED_FAMILIES = {"Qwen": (9000, 720, 5), "Llama": (10000, 500, 2), "Gemma": (700, 200, 1)}
